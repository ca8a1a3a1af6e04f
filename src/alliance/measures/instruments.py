"""The instruments this installation offers: the built-in ones plus the practice's imports.

Imported Questionnaires are kept in the database so that every process (web server,
worker, CLI) registers the same instruments under the same ids.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max

from alliance import instruments as engine
from alliance.instruments import limits
from alliance.measures.models import PracticeInstrument

_loaded: set[int] = set()


def ensure_practice_instruments() -> None:
    """Register, in this process, every imported instrument not registered yet."""
    for row in PracticeInstrument.objects.exclude(pk__in=_loaded).order_by("pk"):
        engine.import_questionnaire(row.questionnaire, instrument_id=row.instrument_id)
        _loaded.add(row.pk)


def get_instrument(instrument_id: str, version: str | None = None) -> engine.Instrument:
    # Built-in and already-registered instruments need no database read (the check-in
    # hot path); only an id this process has not seen yet looks for a new import.
    try:
        return engine.get_instrument(instrument_id, version)
    except engine.UnknownInstrument:
        ensure_practice_instruments()
        return engine.get_instrument(instrument_id, version)


def all_instruments() -> list[engine.Instrument]:
    """The measures on offer; unscored forms (between-session exercises) are not measures."""
    ensure_practice_instruments()
    return sorted(
        (inst for inst in engine.list_instruments() if inst.is_scored),
        key=lambda inst: inst.id,
    )


class InstrumentChoice(NamedTuple):
    """A measure as a menu shows it: its id, its title and the languages it is offered in."""

    id: str
    title: str
    languages: tuple[str, ...]
    # (language, title) pairs: our own form's title in other languages (formal_name).
    title_translations: tuple[tuple[str, str], ...] = ()


# A day: keys of menus that an import has replaced go away by themselves.
CHOICES_TIMEOUT = 24 * 60 * 60


def instrument_choices() -> list[InstrumentChoice]:
    """``all_instruments`` as a menu, for the pages that offer a measure.

    Kept in Django's cache, which every process shares, under a key made of the built-in
    definitions and the practice's imports (how many, and the newest): a new server
    process shows the menu without parsing every imported definition, and an import,
    in any process, changes the key, so the next page shows it.
    """
    imports = PracticeInstrument.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    key = (
        f"alliance:instrument-choices:{engine.builtin_digest()}:"
        f"{imports['count']}:{imports['newest']}"
    )
    cached = cache.get(key)
    if cached is None:
        cached = [
            (
                inst.id,
                inst.title,
                tuple(inst.languages),
                tuple(sorted(inst.title_translations.items())),
            )
            for inst in all_instruments()
        ]
        cache.set(key, cached, CHOICES_TIMEOUT)
    return [InstrumentChoice(*pair) for pair in cached]


def _finite_number(text: str) -> float:
    # NaN and Infinity (or 1e999) are not JSON: the database would refuse to store them.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def _read_at_most(path: Path, limit: int) -> bytes:
    """The file's bytes, refused unread past ``limit`` (a size that changes or a pipe
    that keeps going is caught as it is read)."""
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise engine.QuestionnaireImportError(limits.file_too_large(size))
            raw = stream.read(limit + 1)
    except FileNotFoundError:
        raise engine.QuestionnaireImportError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise engine.QuestionnaireImportError(f"{path} is a directory, not a file") from None
    except OSError as error:
        raise engine.QuestionnaireImportError(f"cannot read {path}: {error.strerror}") from None
    if len(raw) > limit:
        raise engine.QuestionnaireImportError(limits.file_too_large(len(raw)))
    return raw


def read_questionnaire_file(path: Path) -> dict[str, Any]:
    raw = _read_at_most(path, limits.MAX_FILE_BYTES)
    try:
        data = json.loads(
            raw.decode("utf-8"),
            parse_float=_finite_number,
            parse_constant=_finite_number,
        )
    except UnicodeDecodeError:
        raise engine.QuestionnaireImportError(f"{path} is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise engine.QuestionnaireImportError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise engine.QuestionnaireImportError(f"{path} is nested too deeply to read") from None
    except ValueError as error:
        raise engine.QuestionnaireImportError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise engine.QuestionnaireImportError("not a Questionnaire: expected a JSON object")
    return data


def _has_nul(value: Any) -> bool:
    """A NUL character anywhere: PostgreSQL cannot store one in JSON."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


@transaction.atomic
def practice_instrument_import(
    questionnaire: dict[str, Any], *, source_name: str = "", instrument_id: str | None = None
) -> engine.Instrument:
    """Validate and register a Questionnaire, and keep it for every process; all or nothing."""
    # Too large to be a questionnaire people fill in: refused before any parsing.
    limits.check_limits(questionnaire)
    # What the database cannot store is refused before anything is registered.
    if _has_nul(questionnaire):
        raise engine.QuestionnaireImportError("the Questionnaire contains a NUL character")
    version = questionnaire.get("version")
    longest = PracticeInstrument._meta.get_field("version").max_length or 0
    if isinstance(version, str) and len(version) > longest:
        raise engine.QuestionnaireImportError(f"the version is longer than {longest} characters")
    ensure_practice_instruments()
    instrument = engine.import_questionnaire(questionnaire, instrument_id=instrument_id)
    if instrument.source == "builtin":
        return instrument
    row, _created = PracticeInstrument.objects.get_or_create(
        instrument_id=instrument.id,
        version=instrument.version,
        defaults={
            "title": instrument.title[:300],
            "questionnaire": questionnaire,
            "source_name": source_name[:300],
        },
    )
    _loaded.add(row.pk)
    # Make the new menu now, while the definitions are parsed in this process: otherwise
    # the first page to show it would parse every import again.
    transaction.on_commit(instrument_choices)
    return instrument
