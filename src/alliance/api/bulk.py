"""FHIR Bulk Data Access 2.0 ``Patient/$export``: kick-off, the worker's run, status, files.

A kick-off stores what was asked and who asked (the token's person, scopes and audit name),
and queues ``run_bulk_export``. The worker claims the export with a
conditional UPDATE (of several workers exactly one wins; a claim left by a worker that died
is taken again after CLAIM_TIMEOUT) and writes one NDJSON file per type: rows read in
chunks (``.iterator(chunk_size=…)``), each made by the FHIR API's own mapping
(``resources.EXPORTS``) and written line by line into a sealed file (``lib/sealed.py``,
AES-256-GCM under the first field key), so that no whole export is ever in memory and no
plaintext ever on disk. When every file is written, one audit event per client exported
is added in bulk, naming the token or app, and the export is done.

Files are removed when every file of the export has been fetched to its end once (the
export is then gone: its status URL answers 404), or BULK_EXPORT_HOURS after it finished,
whichever comes first (the worker's round); a DELETE on the status URL removes it at once,
also while it runs (the worker stops at its next chunk).
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from alliance.api.callers import ApiCaller
from alliance.api.fhir import ScopeDenied, operation_outcome
from alliance.api.models import BulkExport, BulkExportFile, BulkExportStatus
from alliance.api.resources import CHUNK_SIZE, EXPORTS
from alliance.api.search import BadSearch
from alliance.audit.models import Action
from alliance.audit.services import audit_record_many
from alliance.care import access
from alliance.lib import sealed
from alliance.lib.claims import CLAIM_TIMEOUT, worker_name
from alliance.lib.smart_scopes import parse_scopes, scopes_allow

logger = logging.getLogger("alliance.api")

OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
KICKOFF_PARAMS = ("_outputFormat", "_type", "_since")
# A FHIR instant: a time to the second at least, with its zone.
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
SEALED_KIND = "fhir-bulk-export"
# Why an export failed, as the error file says it (never the data, never a traceback).
FAILURES = {
    "internal": "The export could not be completed. Start a new one; if it fails again, "
    "tell the practice's administrator the time it failed.",
    "refused": "The person this export was for may no longer export.",
}


@dataclass(frozen=True)
class Kickoff:
    """What a kick-off asks for: the types (in the order they are written) and _since."""

    types: list[str]
    since: datetime | None


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadSearch(f"{name} is given more than once")
    return values[0] if values else None


def parse_kickoff(caller: ApiCaller, params: Mapping[str, Sequence[str]]) -> Kickoff:
    """The kick-off's parameters, checked: anything not understood is a 400 (rather than an
    export that holds more than was asked), a type the scopes do not cover a 403."""
    unknown = sorted(set(params) - set(KICKOFF_PARAMS))
    if unknown:
        raise BadSearch(f"this server's $export does not take {', '.join(unknown)}")
    output_format = _one(params, "_outputFormat")
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise BadSearch(f"_outputFormat must be one of {', '.join(OUTPUT_FORMATS)}")
    since_text = _one(params, "_since")
    since = None
    if since_text is not None:
        if not INSTANT.match(since_text):
            raise BadSearch("_since must be a FHIR instant, e.g. 2026-01-31T09:00:00Z")
        try:
            since = datetime.fromisoformat(since_text.replace("Z", "+00:00"))
        except ValueError:
            raise BadSearch("_since must be a FHIR instant, e.g. 2026-01-31T09:00:00Z") from None
    asked = [t for value in params.get("_type", []) for t in value.split(",") if t.strip()]
    asked = [t.strip() for t in asked]
    not_served = sorted(set(asked) - set(EXPORTS))
    if not_served:
        raise BadSearch(
            f"$export does not serve {', '.join(not_served)}; it serves {', '.join(EXPORTS)}"
        )
    if asked:
        for kind in asked:
            if not scopes_allow(caller.scopes, kind, "r"):
                raise ScopeDenied(kind)
        types = [kind for kind in EXPORTS if kind in asked]
    else:
        types = [kind for kind in EXPORTS if scopes_allow(caller.scopes, kind, "r")]
    if not types:
        raise ScopeDenied("any type $export serves")
    return Kickoff(types, since)


def _scope_text(caller: ApiCaller) -> str:
    return " ".join(str(scope) for scope in caller.scopes)


@transaction.atomic
def bulk_export_start(*, caller: ApiCaller, kickoff: Kickoff, request_url: str) -> BulkExport:
    """A new export, queued for the worker once this transaction commits."""
    now = timezone.now()
    export = BulkExport(
        owner=caller.owner,
        scope=_scope_text(caller),
        audit_target=caller.audit_target,
        audit_target_id=caller.audit_target_id,
        types=kickoff.types,
        since=kickoff.since,
        request_url=request_url[:2000],
        created_at=now,
        expires_at=now + timedelta(hours=settings.BULK_EXPORT_HOURS),
    )
    export.full_clean()
    export.save()
    transaction.on_commit(lambda: run_bulk_export.enqueue(str(export.pk)), robust=True)
    return export


# ------------------------------------------------------------------ the worker's run


def export_dir(export_id: UUID | str) -> Path:
    return Path(settings.BULK_EXPORT_DIR) / str(export_id)


def file_path(export_id: UUID | str, resource_type: str) -> Path:
    return export_dir(export_id) / f"{resource_type}.ndjson.sealed"


def _remove_files(export_id: UUID | str) -> None:
    shutil.rmtree(export_dir(export_id), ignore_errors=True)


def _caller_of(export: BulkExport) -> ApiCaller:
    return ApiCaller(
        owner=export.owner,
        scopes=parse_scopes(export.scope),
        audit_target=export.audit_target,
        audit_target_id=export.audit_target_id or 0,
        rate_key=f"bulk:{export.pk}",
    )


class _Stopped(Exception):
    """The export was deleted (cancelled) or taken by another worker while it ran."""


class _Lines(io.RawIOBase):
    """The NDJSON of one type as a readable stream, made as it is read: ``sealed.seal``
    reads a chunk, encrypts and writes it, then reads on. Counts the lines and whose data
    they hold, and every CHUNK_SIZE lines says the worker is still at it (``beat``)."""

    def __init__(
        self, rows: Iterator[tuple[dict[str, Any], int | None]], beat: Callable[[], None]
    ) -> None:
        self.rows = rows
        self.beat = beat
        self.buffer = bytearray()
        self.count = 0
        self.client_ids: set[int] = set()

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while len(self.buffer) < len(target):
            row = next(self.rows, None)
            if row is None:
                break
            resource, client_id = row
            self.buffer += json.dumps(resource, ensure_ascii=False).encode("utf-8") + b"\n"
            self.count += 1
            if client_id is not None:
                self.client_ids.add(client_id)
            if self.count % CHUNK_SIZE == 0:
                self.beat()
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        del self.buffer[:size]
        return size


def _claimable(now: datetime) -> Q:
    return Q(status=BulkExportStatus.QUEUED) | Q(
        status=BulkExportStatus.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT
    )


@task()
def run_bulk_export(export_id: str) -> bool:
    """One export, queued at its kick-off, run by `alliance worker`."""
    return bulk_export_run(export_id)


def bulk_export_run(export_id: str) -> bool:
    """Run one export if it is queued (or its worker died) and no other worker holds it.
    Returns whether this call wrote it."""
    now = timezone.now()
    me = worker_name()
    claimed = BulkExport.objects.filter(_claimable(now), pk=export_id).update(
        status=BulkExportStatus.RUNNING, claimed_at=now, claimed_by=me, types_done=0
    )
    if not claimed:
        return False
    export = BulkExport.objects.select_related("owner").get(pk=export_id)
    _remove_files(export.pk)  # what a worker that died left half written
    mine = BulkExport.objects.filter(pk=export.pk, claimed_by=me, status=BulkExportStatus.RUNNING)
    try:
        if not access.may_bulk_export(export.owner, "user"):
            _fail(mine, export, "refused")
            return False
        counts, client_ids = _write_files(export, mine)
        _finish(mine, export, counts, client_ids)
    except _Stopped:
        _remove_files(export.pk)
        return False
    except Exception as error:  # a failed export must answer, not hang "running"
        logger.error("bulk export %s failed: %s", export.pk, type(error).__name__)
        _fail(mine, export, "internal")
        return False
    return True


def _write_files(export: BulkExport, mine: QuerySet[BulkExport]) -> tuple[dict[str, int], set[int]]:
    caller = _caller_of(export)
    folder = export_dir(export.pk)
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    client_ids: set[int] = set()

    def beat() -> None:
        if not mine.update(claimed_at=timezone.now()):
            raise _Stopped

    for done, kind in enumerate(export.types, start=1):
        lines = _Lines(EXPORTS[kind](caller, export.since), beat)
        partial = folder / f"{kind}.partial"
        with partial.open("wb") as target:
            header = {"kind": SEALED_KIND, "export": str(export.pk), "type": kind}
            sealed.seal(io.BufferedReader(lines), target, settings.FIELD_KEYS[0], header)
        partial.rename(file_path(export.pk, kind))
        counts[kind] = lines.count
        client_ids |= lines.client_ids
        if not mine.update(types_done=done, claimed_at=timezone.now()):
            raise _Stopped
    return counts, client_ids


def _finish(
    mine: QuerySet[BulkExport], export: BulkExport, counts: dict[str, int], client_ids: set[int]
) -> None:
    now = timezone.now()
    with transaction.atomic():
        if not mine.update(
            status=BulkExportStatus.DONE,
            finished_at=now,
            expires_at=now + timedelta(hours=settings.BULK_EXPORT_HOURS),
        ):
            raise _Stopped
        BulkExportFile.objects.bulk_create(
            BulkExportFile(export=export, resource_type=kind, count=count)
            for kind, count in counts.items()
        )
        audit_record_many(
            actor=export.owner,
            action=Action.API_READ,
            client_ids=client_ids,
            target_type=export.audit_target,
            target_id=export.audit_target_id,
        )


def _fail(mine: QuerySet[BulkExport], export: BulkExport, code: str) -> None:
    _remove_files(export.pk)
    now = timezone.now()
    mine.update(
        status=BulkExportStatus.FAILED,
        error=code,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.BULK_EXPORT_HOURS),
    )


def bulk_exports_due(now: datetime | None = None) -> dict[str, int]:
    """The worker's round: exports past their time removed (fetched or not), and exports
    whose task was lost or whose worker died run here."""
    now = now or timezone.now()
    expired = list(BulkExport.objects.filter(expires_at__lte=now).values_list("pk", flat=True))
    for export_id in expired:
        _remove_files(export_id)
    BulkExport.objects.filter(pk__in=expired).delete()
    ran = sum(bulk_export_run(str(pk)) for pk in _stale(now))
    return {"removed": len(expired), "ran": ran}


def _stale(now: datetime) -> list[UUID]:
    """Queued for a minute with no worker on it (its task lost), or claimed by one that died."""
    lost = Q(status=BulkExportStatus.QUEUED, created_at__lt=now - timedelta(minutes=1))
    dead = Q(status=BulkExportStatus.RUNNING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return list(BulkExport.objects.filter(lost | dead).values_list("pk", flat=True))


# ------------------------------------------------------------------ status and files


def caller_export(caller: ApiCaller, export_id: str) -> BulkExport:
    """An export of the caller's own person; 404 for anyone else's, or none."""
    try:
        UUID(export_id)
    except ValueError:
        raise Http404 from None
    export = BulkExport.objects.filter(pk=export_id, owner=caller.owner).first()
    if export is None:
        raise Http404
    return export


def progress(export: BulkExport) -> str:
    return f"{export.types_done} of {len(export.types)} resource types written"


def manifest(export: BulkExport, file_url: Any) -> dict[str, Any]:
    """The completion manifest; a failed export's says why in an OperationOutcome file."""
    output = [
        {"type": f.resource_type, "url": file_url(f.resource_type), "count": f.count}
        for f in export.files.all()
    ]
    failed = export.status == BulkExportStatus.FAILED
    return {
        "transactionTime": export.created_at.isoformat(),
        "request": export.request_url,
        "requiresAccessToken": True,
        "output": output,
        "error": [{"type": "OperationOutcome", "url": file_url("OperationOutcome")}]
        if failed
        else [],
    }


def bulk_export_delete(*, caller: ApiCaller, export: BulkExport) -> None:
    """Cancel (while it runs) or remove (when done) an export and its files."""
    BulkExport.objects.filter(pk=export.pk, owner=caller.owner).delete()
    _remove_files(export.pk)


def export_file_lines(export: BulkExport, resource_type: str) -> Iterator[bytes]:
    """The file's NDJSON, decrypted chunk by chunk as it is sent. Once it has been sent to
    its end, it counts as fetched; when every file of the export is, the export is removed.
    404 for a type the export does not hold or one that is not written yet."""
    if export.status == BulkExportStatus.FAILED and resource_type == "OperationOutcome":
        line = json.dumps(operation_outcome("exception", FAILURES.get(export.error, "")))
        return iter([line.encode("utf-8") + b"\n"])
    found = export.files.filter(resource_type=resource_type).first()
    if export.status != BulkExportStatus.DONE or found is None:
        raise Http404
    try:
        source = file_path(export.pk, resource_type).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    try:
        _header, chunks = sealed.open_sealed(source, settings.FIELD_KEYS)
    except sealed.SealedFileError:
        # Changed on disk, or sealed with a field key no longer listed: not served.
        source.close()
        logger.warning("bulk export %s: its %s file does not open", export.pk, resource_type)
        raise Http404 from None
    return _sent(export, found, source, chunks)


def _sent(
    export: BulkExport, found: BulkExportFile, source: Any, chunks: Iterator[bytes]
) -> Iterator[bytes]:
    with source:
        yield from chunks
    BulkExportFile.objects.filter(pk=found.pk, fetched_at__isnull=True).update(
        fetched_at=timezone.now()
    )
    if not BulkExportFile.objects.filter(export_id=export.pk, fetched_at__isnull=True).exists():
        BulkExport.objects.filter(pk=export.pk).delete()
        _remove_files(export.pk)
