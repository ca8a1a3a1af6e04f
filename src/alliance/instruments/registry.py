"""Where instruments live: the built-in definitions plus anything registered or imported.

Built-ins are loaded once, lazily, from ``definitions/``. ``<id>.json`` is the current
version of an instrument; a superseded version is kept as ``<id>@<version>.json`` so that
scores stored with that version can be recomputed. Registration is all-or-nothing: a
Questionnaire is fully validated before anything is added.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import QuestionnaireImportError, UnknownInstrument
from .model import Instrument
from .parsing.alliance import instrument_from_alliance, scoring_metadata
from .parsing.common import ID_RE, Source, content_hash
from .parsing.foreign import instrument_from_foreign, slugify

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise QuestionnaireImportError(f"{path.name}: cannot read JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise QuestionnaireImportError(f"{path.name}: expected a JSON object")
    return data


class InstrumentRegistry:
    """Instruments by id and version; the module-level functions share one registry."""

    def __init__(self, *, load_builtins: bool = True) -> None:
        self._lock = threading.RLock()
        self._versions: dict[str, dict[str, Instrument]] = {}
        self._current: dict[str, str] = {}
        self._builtins_loaded = not load_builtins

    # -- loading ------------------------------------------------------------------------

    def _ensure_builtins(self) -> None:
        if self._builtins_loaded:
            return
        with self._lock:
            if self._builtins_loaded:
                return
            self._add_all(self._parse_directory(DEFINITIONS_DIR, source="builtin"))
            self._builtins_loaded = True

    @staticmethod
    def _parse_directory(directory: Path, source: Source) -> list[tuple[Instrument, bool]]:
        parsed: list[tuple[Instrument, bool]] = []
        paths = sorted(Path(directory).glob("*.json"))
        if not paths:
            raise QuestionnaireImportError(f"no *.json definitions in {directory}")
        for path in paths:
            q = _read_json(path)
            meta = scoring_metadata(q)
            if meta is None:
                raise QuestionnaireImportError(f"{path.name}: no urn:alliance:scoring extension")
            try:
                inst = instrument_from_alliance(q, meta, source)
            except QuestionnaireImportError as exc:
                raise QuestionnaireImportError(f"{path.name}: {exc}") from exc
            stem, _, file_version = path.stem.partition("@")
            if stem != inst.id:
                raise QuestionnaireImportError(
                    f"{path.name}: file name does not match id {inst.id!r}"
                )
            if file_version and file_version != inst.version:
                raise QuestionnaireImportError(
                    f"{path.name}: file name does not match version {inst.version!r}"
                )
            parsed.append((inst, not file_version))
        return parsed

    def _check_addable(self, inst: Instrument) -> Instrument | None:
        """Return an identical already-registered instrument, None if new; raise on conflict."""
        existing = self._versions.get(inst.id, {}).get(inst.version)
        if existing is None:
            return None
        if existing.content_hash == inst.content_hash:
            return existing
        raise QuestionnaireImportError(
            f"instrument {inst.id!r} version {inst.version!r} is already registered with different "
            "content; give the new definition a new version"
        )

    def _add_all(self, batch: Iterable[tuple[Instrument, bool]]) -> list[Instrument]:
        batch = list(batch)
        with self._lock:
            seen: set[tuple[str, str]] = set()
            for inst, _ in batch:  # validate everything before changing anything
                key = (inst.id, inst.version)
                if key in seen:
                    raise QuestionnaireImportError(f"{inst.id}@{inst.version} given twice")
                seen.add(key)
                self._check_addable(inst)
            out = []
            for inst, current in batch:
                existing = self._check_addable(inst)
                if existing is not None:
                    out.append(existing)
                    continue
                self._versions.setdefault(inst.id, {})[inst.version] = inst
                if current or inst.id not in self._current:
                    self._current[inst.id] = inst.version
                out.append(inst)
            return out

    # -- public -------------------------------------------------------------------------

    def get(self, instrument_id: str, version: str | None = None) -> Instrument:
        self._ensure_builtins()
        with self._lock:
            versions = self._versions.get(instrument_id)
            if not versions:
                known = ", ".join(sorted(self._versions)) or "none"
                raise UnknownInstrument(f"unknown instrument {instrument_id!r} (known: {known})")
            wanted = version or self._current[instrument_id]
            if wanted not in versions:
                raise UnknownInstrument(
                    f"instrument {instrument_id!r} has no version {wanted!r} "
                    f"(known: {', '.join(sorted(versions))})"
                )
            return versions[wanted]

    def builtin_digest(self) -> str:
        """A digest of the built-in definitions (every version): it changes when an
        upgrade changes them, so that what is derived from them can be cached."""
        self._ensure_builtins()
        with self._lock:
            hashes = sorted(
                f"{inst.id}@{inst.version}:{inst.content_hash}"
                for versions in self._versions.values()
                for inst in versions.values()
                if inst.source == "builtin"
            )
        return hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16]

    def instruments(self) -> list[Instrument]:
        """Current version of every instrument, sorted by id."""
        self._ensure_builtins()
        with self._lock:
            return [self._versions[i][self._current[i]] for i in sorted(self._current)]

    def register(self, questionnaire: Mapping[str, Any]) -> Instrument:
        """Register a Questionnaire carrying the Alliance scoring extension (becomes current)."""
        self._ensure_builtins()
        if not isinstance(questionnaire, Mapping):
            raise QuestionnaireImportError("not a Questionnaire: expected a JSON object")
        meta = scoring_metadata(questionnaire)
        if meta is None:
            raise QuestionnaireImportError(
                "no urn:alliance:scoring extension; use import_questionnaire() for Questionnaires "
                "written elsewhere"
            )
        inst = instrument_from_alliance(questionnaire, meta, "registered")
        return self._add_all([(inst, True)])[0]

    def load_definitions_from(self, directory: str | Path) -> list[Instrument]:
        """Register every ``*.json`` Alliance definition in ``directory``; all or nothing."""
        self._ensure_builtins()
        return self._add_all(self._parse_directory(Path(directory), source="registered"))

    def import_questionnaire(
        self, questionnaire: Mapping[str, Any], *, instrument_id: str | None = None
    ) -> Instrument:
        """Import a Questionnaire written elsewhere (LHC-Forms or SDC style) and register it.

        With the Alliance scoring extension it is simply registered. Otherwise its id is
        ``instrument_id`` or ``imported-<slug of title, name or id>`` (``-2``, ``-3``... if
        taken); importing identical content again returns the instrument already registered.
        """
        self._ensure_builtins()
        if isinstance(questionnaire, Mapping) and scoring_metadata(questionnaire) is not None:
            return self.register(questionnaire)
        if not isinstance(questionnaire, Mapping):
            raise QuestionnaireImportError("not a Questionnaire: expected a JSON object")
        with self._lock:
            digest = content_hash(questionnaire)
            for versions in self._versions.values():
                for inst in versions.values():
                    if (
                        inst.source == "imported"
                        and inst.content_hash == digest
                        and instrument_id in (None, inst.id)
                    ):
                        return inst
            builtins = [i for i in self.instruments() if i.source == "builtin"]
            if instrument_id is not None:
                if not ID_RE.match(instrument_id):
                    raise QuestionnaireImportError(
                        f"instrument id {instrument_id!r} must be a lowercase slug"
                    )
                if instrument_id in self._versions:
                    raise QuestionnaireImportError(
                        f"instrument id {instrument_id!r} is already taken"
                    )
                new_id = instrument_id
            else:
                name = (
                    questionnaire.get("title")
                    or questionnaire.get("name")
                    or questionnaire.get("id")
                )
                stem = "imported-" + slugify(name if isinstance(name, str) else "questionnaire")
                new_id, n = stem, 1
                while new_id in self._versions:
                    n += 1
                    new_id = f"{stem}-{n}"
            inst = instrument_from_foreign(questionnaire, new_id, builtins)
            return self._add_all([(inst, True)])[0]


default_registry = InstrumentRegistry()


def get_instrument(instrument_id: str, version: str | None = None) -> Instrument:
    return default_registry.get(instrument_id, version)


def list_instruments() -> list[Instrument]:
    return default_registry.instruments()


def builtin_digest() -> str:
    return default_registry.builtin_digest()


def register(questionnaire: Mapping[str, Any]) -> Instrument:
    return default_registry.register(questionnaire)


def load_definitions_from(directory: str | Path) -> list[Instrument]:
    return default_registry.load_definitions_from(directory)


def import_questionnaire(
    questionnaire: Mapping[str, Any], *, instrument_id: str | None = None
) -> Instrument:
    return default_registry.import_questionnaire(questionnaire, instrument_id=instrument_id)


def resolve(instrument: str | Instrument) -> Instrument:
    return instrument if isinstance(instrument, Instrument) else get_instrument(instrument)
