"""Writing, verifying, checkpointing and pruning the audit chain."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alliance.audit.chain import event_hmac, key_id, normalise_ip, same
from alliance.audit.checkpoints import (
    Checkpoint,
    CheckpointFile,
    CheckpointFileError,
    append_checkpoint,
    checkpoint_signed,
    last_written_at,
    read_checkpoints,
)
from alliance.audit.context import AuditContext
from alliance.audit.models import Action, AuditChainHead, AuditEvent


class Actor(Protocol):
    """Whoever acted, as the log keeps them: an id and a role (an ``accounts`` User). The
    audit app sits below every other app, so it names no model of theirs."""

    @property
    def pk(self) -> Any: ...

    @property
    def role(self) -> str: ...

    @property
    def is_authenticated(self) -> bool: ...


# The worker writes a checkpoint when the newest is older than this: with its round every
# minute (or `--once` from cron every few minutes) there is one at least every hour.
CHECKPOINT_EVERY = timedelta(minutes=55)


def signing_key() -> bytes:
    """The first of ALLIANCE_AUDIT_KEYS signs; every listed key verifies."""
    keys: list[bytes] = settings.AUDIT_KEYS
    return keys[0]


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    client_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    context: AuditContext | None = None,
) -> AuditEvent:
    """Append one event. Joins the caller's transaction, so it commits with the action."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        (event,) = _chain(
            head,
            actor=actor,
            action=action,
            client_ids=[client_id],
            target_type=target_type,
            target_id=target_id,
            context=context,
        )
        event.save()
        head.save(update_fields=["seq", "hash"])
    return event


def audit_record_many(
    *,
    actor: Actor | None,
    action: str,
    client_ids: Iterable[int],
    target_type: str = "",
    target_id: int | None = None,
    context: AuditContext | None = None,
) -> int:
    """One event per client, chained as ``audit_record`` chains them but with one lock of
    the head and one insert for all (a bulk export's reads). Returns how many."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        events = _chain(
            head,
            actor=actor,
            action=action,
            client_ids=sorted(set(client_ids)),
            target_type=target_type,
            target_id=target_id,
            context=context,
        )
        if events:
            AuditEvent.objects.bulk_create(events, batch_size=500)
            head.save(update_fields=["seq", "hash"])
    return len(events)


def _chain(
    head: AuditChainHead,
    *,
    actor: Actor | None,
    action: str,
    client_ids: Sequence[int | None],
    target_type: str,
    target_id: int | None,
    context: AuditContext | None,
) -> list[AuditEvent]:
    """The next events after the locked ``head``, one per client id, each signed and
    chained to the one before; ``head`` is moved on to the last (not saved)."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_role = actor.role if actor is not None and actor.is_authenticated else ""
    key = signing_key()
    now = timezone.now()
    events: list[AuditEvent] = []
    for client_id in client_ids:
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=now,
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            client_id=client_id,
            target_type=target_type,
            target_id=target_id,
            ip_address=normalise_ip(context.address) if context is not None else "",
            prev_hash=head.hash,
            key_id=key_id(key),
        )
        event.hash = event_hash(event, key)
        events.append(event)
        head.seq, head.hash = event.seq, event.hash
    return events


def record_opened(
    *,
    actor: Actor,
    client_id: int,
    part: str = "",
    target_id: int | None = None,
    context: AuditContext | None = None,
) -> AuditEvent:
    """Someone opened a page that shows this client's record or name (``part`` says which
    part, when it is not the whole record): listed on the client's "Who has seen your
    record" unless it is the client."""
    return audit_record(
        actor=actor,
        action=Action.VIEWED,
        client_id=client_id,
        target_type=part,
        target_id=target_id,
        context=context,
    )


def event_hash(event: AuditEvent, key: bytes) -> str:
    return event_hmac(
        key,
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        action=event.action,
        client_id=event.client_id,
        target_type=event.target_type,
        target_id=event.target_id,
        ip_address=event.ip_address,
        prev_hash=event.prev_hash,
    )


# ---------------------------------------------------------------- verifying


@dataclass(frozen=True)
class KeyUse:
    """Which rows one key signed: an old key can leave ALLIANCE_AUDIT_KEYS once none does."""

    key_id: str
    first_seq: int
    last_seq: int
    rows: int


@dataclass(frozen=True)
class CheckpointCheck:
    path: Path
    compared: int  # checkpoint lines compared with the database
    latest: Checkpoint | None
    unknown_key: int = 0  # lines signed with a key no longer configured (not compared)
    restored: Checkpoint | None = None  # the last `--restored` line, if any


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""
    pruned_seq: int = 0
    keys: tuple[KeyUse, ...] = ()
    checkpoints: CheckpointCheck | None = None


@dataclass
class _Walk:
    checked: int = 0
    bad_seq: int | None = None
    problem: str = ""
    uses: dict[str, list[int]] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)

    def key_uses(self) -> tuple[KeyUse, ...]:
        return tuple(KeyUse(kid, *use) for kid, use in self.uses.items())


def _walk(head: AuditChainHead, keys: Sequence[bytes], wanted: set[int]) -> _Walk:
    """Every row from the first kept one to the head: in sequence, each following the one
    before, each matching its HMAC under the key it names. Keeps the hashes of the rows in
    ``wanted`` (those the checkpoints recorded)."""
    by_id = {key_id(key): key for key in keys}
    walk = _Walk()
    expected_seq = head.pruned_seq + 1
    prev_hash = head.pruned_hash
    pruned_through = 0  # what the newest record of pruning in the chain says was removed

    def bad(seq: int, problem: str) -> _Walk:
        walk.bad_seq, walk.problem = seq, problem
        return walk

    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq > head.seq:
            # Written since the walk began (the head has moved on), or put there by hand.
            current = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first()
            if current is not None and event.seq <= current:
                break
            return bad(
                event.seq,
                f"row {event.seq} lies beyond the recorded end of the chain "
                f"(row {head.seq}): it was inserted",
            )
        if event.seq != expected_seq:
            missing = (
                f"row {expected_seq}"
                if event.seq == expected_seq + 1
                else f"rows {expected_seq} to {event.seq - 1}"
            )
            return bad(expected_seq, f"{missing} missing: deleted")
        if event.prev_hash != prev_hash:
            return bad(
                event.seq,
                f"row {event.seq} does not follow row {event.seq - 1}: "
                "a row was inserted or replaced here",
            )
        key = by_id.get(event.key_id)
        if key is None and not event.key_id:
            return bad(
                event.seq,
                f"row {event.seq} names no key: it was written without the audit key "
                "(edited or inserted by hand)",
            )
        if key is None:
            return bad(
                event.seq,
                f"row {event.seq} was signed with key {event.key_id}, which "
                "ALLIANCE_AUDIT_KEYS does not hold: put that key back in the list (every "
                "listed key verifies), or the row was forged",
            )
        if not same(event_hash(event, key), event.hash):
            return bad(
                event.seq,
                f"row {event.seq} does not match its hash: it was edited "
                "(or written without the key)",
            )
        if event.action == Action.AUDIT_PRUNED and event.target_type == "audit_event":
            pruned_through = event.target_id or 0
        if event.seq in wanted:
            walk.hashes[event.seq] = event.hash
        use = walk.uses.setdefault(event.key_id, [event.seq, event.seq, 0])
        use[1], use[2] = event.seq, use[2] + 1
        prev_hash = event.hash
        expected_seq += 1
        walk.checked += 1

    if walk.checked != head.seq - head.pruned_seq:
        missing = f"rows {expected_seq} to {head.seq}"
        if head.seq == expected_seq:
            missing = f"row {expected_seq}"
        return bad(expected_seq, f"{missing} missing from the end of the chain: deleted")
    if prev_hash != head.hash:
        return bad(head.seq, f"row {head.seq} does not match the recorded chain head: edited")
    if head.pruned_seq and pruned_through != head.pruned_seq:
        return bad(
            pruned_through + 1,
            f"rows {pruned_through + 1} to {head.pruned_seq} are gone from the start of the "
            "chain, and no record of pruning in the chain accounts for them: deleted",
        )
    return walk


def written_at(checkpoint: Checkpoint) -> str:
    return checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _compare(
    head: AuditChainHead, walk: _Walk, file: CheckpointFile, considered: list[Checkpoint]
) -> tuple[int, str] | None:
    """Where the database and the checkpoints disagree: the first row after the last
    checkpoint it agrees with, and what is wrong; None when they agree."""

    def agrees(seq: int, hash: str) -> bool | None:
        if seq > head.seq:
            return False
        if seq < head.pruned_seq:
            return None  # pruned since: nothing left to compare
        if seq == head.pruned_seq:
            return same(hash, head.pruned_hash)
        return same(hash, walk.hashes[seq])

    good: list[Checkpoint] = []
    bad: list[tuple[int, Checkpoint]] = []
    for checkpoint in considered:
        if agrees(checkpoint.seq, checkpoint.hash) is False:
            bad.append((checkpoint.seq, checkpoint))
        elif agrees(checkpoint.pruned_seq, checkpoint.pruned_hash) is False:
            bad.append((checkpoint.pruned_seq, checkpoint))
        else:
            good.append(checkpoint)
    if not bad:
        return None
    first_seq, first = min(bad, key=lambda pair: pair[0])
    last_good = max(
        (checkpoint for checkpoint in good if checkpoint.seq < first_seq),
        key=lambda checkpoint: checkpoint.seq,
        default=None,
    )
    start = last_good.seq + 1 if last_good else head.pruned_seq + 1
    vouched = (
        f"The last checkpoint it agrees with is row {last_good.seq} (written "
        f"{written_at(last_good)}); "
        if last_good
        else "No checkpoint agrees with it; "
    ) + f"from row {start} on, nothing outside the database vouches for it"
    newest = max(considered, key=lambda checkpoint: checkpoint.seq)
    if newest.seq > head.seq:
        return start, (
            f"the database ends at row {head.seq}, but the checkpoint written "
            f"{written_at(newest)} (line {newest.line} of {file.path}) recorded row "
            f"{newest.seq}: the database was rolled back to an older copy, or rows were "
            f"removed from its end. {vouched}"
        )
    return start, (
        f"row {first_seq} is not the row the checkpoint written {written_at(first)} (line "
        f"{first.line} of {file.path}) recorded: the chain was rewritten from some row on, "
        "or the database was rolled back to an older copy and has taken new events since. "
        f"{vouched}"
    )


def verify_chain(
    *, keys: Sequence[bytes] | None = None, checkpoint_path: Path | None = None
) -> ChainReport:
    """Walk the chain with the keys from its first kept row, then compare it with the
    checkpoint file; report the first row that does not hold."""
    keys = list(settings.AUDIT_KEYS if keys is None else keys)
    path = Path(settings.AUDIT_CHECKPOINT if checkpoint_path is None else checkpoint_path)
    # The file before the database: a line written while the walk runs would be ahead of it.
    file_problem = ""
    try:
        file = read_checkpoints(path, keys)
    except CheckpointFileError as error:
        file, file_problem = (
            CheckpointFile(path, exists=True),
            f"the checkpoint file {path}: {error}",
        )
    except OSError as error:
        file, file_problem = (
            CheckpointFile(path),
            f"{path} cannot be read ({error.strerror or error})",
        )
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return ChainReport(False, 0, 0, "", 0, "the chain head row is missing: it was deleted")
    considered = file.since_last_restore()
    wanted = {c.seq for c in considered} | {c.pruned_seq for c in considered}
    walk = _walk(head, keys, wanted)
    restored = next((c for c in reversed(considered) if c.kind == "restored"), None)
    check = CheckpointCheck(path, len(considered), file.latest, file.unknown_key, restored)

    def report(bad_seq: int | None = None, problem: str = "") -> ChainReport:
        return ChainReport(
            not problem,
            walk.checked,
            head.seq,
            head.hash,
            bad_seq,
            problem,
            head.pruned_seq,
            walk.key_uses(),
            check,
        )

    if walk.problem:
        return report(walk.bad_seq, walk.problem)
    if file_problem:
        return report(None, file_problem)
    disagreement = _compare(head, walk, file, considered)
    if disagreement is not None:
        return report(*disagreement)
    return report()


# ---------------------------------------------------------------- checkpoints


def audit_checkpoint(*, kind: str = "checkpoint", now: datetime | None = None) -> Checkpoint:
    """Append the chain's head, signed, to the checkpoint file (ALLIANCE_AUDIT_CHECKPOINT)."""
    head = AuditChainHead.objects.get(pk=1)
    checkpoint = checkpoint_signed(
        kind=kind,
        at=now or timezone.now(),
        seq=head.seq,
        hash=head.hash,
        pruned_seq=head.pruned_seq,
        pruned_hash=head.pruned_hash,
        key=signing_key(),
    )
    append_checkpoint(Path(settings.AUDIT_CHECKPOINT), checkpoint)
    return checkpoint


def audit_checkpoint_if_due(*, every: timedelta = CHECKPOINT_EVERY) -> Checkpoint | None:
    """A checkpoint, unless the file's newest line is younger than ``every``."""
    now = timezone.now()
    last = last_written_at(Path(settings.AUDIT_CHECKPOINT))
    if last is not None and timedelta(0) <= now - last < every:
        return None
    return audit_checkpoint(now=now)


# ---------------------------------------------------------------- pruning


class AuditPruneRefused(Exception):
    """Pruning that must not go ahead, with the reason for the person running it."""


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # the 29th of February
        return moment.replace(year=moment.year - years, day=28)


def retention_cutoff(now: datetime | None = None) -> datetime:
    """Events older than this are past their retention (ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS)."""
    return years_before(now or timezone.now(), int(settings.ERASURE_AUDIT_RETENTION_YEARS))


@dataclass(frozen=True)
class PrunePlan:
    before: datetime
    first_seq: int
    through_seq: int  # the last row to remove; rows = through_seq - first_seq + 1

    @property
    def rows(self) -> int:
        return max(0, self.through_seq - self.first_seq + 1)


@dataclass(frozen=True)
class PruneResult:
    plan: PrunePlan
    event: AuditEvent | None = None
    checkpoint: Checkpoint | None = None
    checkpoint_error: str = ""


def _through(before: datetime, head: AuditChainHead) -> int:
    """The last row of the oldest run of events that all happened before ``before``."""
    first_kept = (
        AuditEvent.objects.filter(seq__gt=head.pruned_seq, occurred_at__gte=before)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    return head.seq if first_kept is None else first_kept - 1


def audit_prune_plan(*, before: datetime) -> PrunePlan:
    if before > retention_cutoff():
        raise AuditPruneRefused(
            f"Audit events are kept for {settings.ERASURE_AUDIT_RETENTION_YEARS} years "
            "(ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS): only events from before "
            f"{retention_cutoff():%Y-%m-%d %H:%M} may be removed."
        )
    head = AuditChainHead.objects.get(pk=1)
    return PrunePlan(before, head.pruned_seq + 1, _through(before, head))


def audit_prune(
    *,
    actor: Actor | None,
    before: datetime,
    progress: Callable[[int, int], None] = lambda done, total: None,
    batch: int = 10_000,
) -> PruneResult:
    """Remove the events from before ``before`` (past their retention), keep the hash of
    the last one removed as the chain's new start, record the pruning as an event and in
    the checkpoint file. Refused when the chain does not hold: pruning must never remove
    the evidence that it was tampered with."""
    plan = audit_prune_plan(before=before)
    report = verify_chain()
    if not report.ok:
        raise AuditPruneRefused(
            f"The audit chain does not hold (row {report.bad_seq}: {report.problem}); "
            "pruning it could remove the evidence. Nothing was removed."
        )
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        # Only rows the verification above walked.
        through = min(_through(before, head), report.head_seq)
        plan = PrunePlan(before, head.pruned_seq + 1, through)
        if plan.rows == 0:
            return PruneResult(plan)
        last = AuditEvent.objects.get(seq=through)
        done = head.pruned_seq
        while done < through:
            upto = min(done + batch, through)
            AuditEvent.objects.filter(seq__gt=done).prune_through(upto)
            done = upto
            progress(done - plan.first_seq + 1, plan.rows)
        head.pruned_seq, head.pruned_hash = through, last.hash
        head.save(update_fields=["pruned_seq", "pruned_hash"])
        event = audit_record(
            actor=actor, action=Action.AUDIT_PRUNED, target_type="audit_event", target_id=through
        )
    try:
        checkpoint = audit_checkpoint(kind="pruned")
    except OSError as error:
        return PruneResult(
            plan, event, None, f"{settings.AUDIT_CHECKPOINT}: {error.strerror or error}"
        )
    return PruneResult(plan, event, checkpoint)
