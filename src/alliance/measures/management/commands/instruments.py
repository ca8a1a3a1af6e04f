from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from alliance import instruments as engine
from alliance.instruments import Instrument, Item
from alliance.instruments.change import Z_CRITICAL, s_diff
from alliance.instruments.parsing.common import thaw
from alliance.measures import instruments as practice
from alliance.measures.models import PracticeInstrument
from alliance.measures.scoring_csv import resolve_instrument

SOURCES = {"builtin": "builtin", "registered": "imported", "imported": "imported"}


class Command(BaseCommand):
    help = (
        "The instruments this installation scores: `list`, `show ID`, "
        "`import FILE.json [--id ID]` (a FHIR Questionnaire the practice holds rights to)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "list",
            help="one instrument per line: id, version, languages, validated, source, title",
        )
        show = actions.add_parser("show", help="describe one instrument in full")
        show.add_argument("id", help="instrument id, e.g. phq-9 (or phq-9@1.0.0)")
        load = actions.add_parser(
            "import",
            help="import a FHIR Questionnaire (JSON); prints the id it was given",
        )
        load.add_argument("file", help="the Questionnaire, as a JSON file")
        load.add_argument("--id", dest="instrument_id", help="the id to give it (a slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "list":
                self.stdout.write("\n".join(list_lines(practice.all_instruments())))
            elif options["action"] == "show":
                self.stdout.write(describe(resolve_instrument(options["id"])))
            else:
                self._import(Path(options["file"]), options["instrument_id"])
        except LookupError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(
                f"cannot read the practice's imported instruments ({error}); "
                "has `alliance migrate` been run?"
            ) from None

    def _import(self, path: Path, instrument_id: str | None) -> None:
        before = PracticeInstrument.objects.count()
        try:
            questionnaire = practice.read_questionnaire_file(path)
            instrument = practice.practice_instrument_import(
                questionnaire, source_name=path.name, instrument_id=instrument_id
            )
        except engine.QuestionnaireImportError as error:
            raise CommandError(f"not imported: {error}") from None
        self.stdout.write(instrument.id)
        if instrument.source == "builtin":
            note = "built in already; nothing imported"
        elif PracticeInstrument.objects.count() == before:
            note = "imported before; nothing changed"
        else:
            note = "imported"
        self.stderr.write(
            f"{note}: {instrument.title} (version {instrument.version}, "
            f"{len(instrument.items)} items, total {_n(instrument.total_min)}-"
            f"{_n(instrument.total_max)})",
            style_func=str,
        )
        for line in instrument.import_notes:
            self.stderr.write(f"  {line}", style_func=str)


# A cut-off's comparison, in words: "a total of 10 or more", not "total >= 10".
_COMPARED = {">=": "{} or more", ">": "above {}", "<=": "{} or less", "<": "below {}"}


def _a_total_of(flag_if: str, value: Any) -> str:
    return "a total of " + _COMPARED.get(flag_if, f"{flag_if} {{}}").format(_n(value))


def _plain_source(source: str) -> str:
    """Where a threshold comes from, without the definition's shorthand provenance note."""
    return source.replace(
        "(read in a secondary source only)", "(checked only in a secondary source)"
    )


def _n(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def list_lines(instruments: Iterable[Instrument]) -> list[str]:
    rows = [
        (
            inst.id,
            inst.version,
            ",".join(inst.languages),
            "validated" if inst.validated else "not validated",
            SOURCES.get(inst.source, inst.source),
            inst.title,
        )
        for inst in sorted(instruments, key=lambda inst: inst.id)
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(5)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in rows
    ]


def _facts(facts: Any) -> str:
    if isinstance(facts, Mapping) and facts.get("verified") is False:
        return f" [not verified: {facts.get('note') or 'see the definition'}]"
    return ""


def _item_lines(item: Item, scored: bool) -> list[str]:
    head = f"  {item.position:>3}  {item.link_id}  {item.text}"
    if not scored:
        head += "  (not scored)"
    lines = [head]
    if item.kind == "choice":
        for option in item.options:
            weight = "" if option.weight is None else _n(option.weight)
            lines.append(f"         {weight:>3}  {option.code}  {option.display}")
    elif item.kind in ("integer", "decimal"):
        bounds = f"{_n(item.min_value) or '…'}-{_n(item.max_value) or '…'}"
        lines.append(f"         {item.kind} {bounds}")
    else:
        lines.append("         free text")
    return lines


def _total_line(inst: Instrument) -> str:
    scored = inst.scored
    span = f"{scored[0]} … {scored[-1]}" if len(scored) > 2 else ", ".join(scored)
    text = f"sum of {len(scored)} items ({span}), range {_n(inst.total_min)}-{_n(inst.total_max)}"
    if inst.missing_method == "prorate" and inst.missing_max:
        text += f"; up to {inst.missing_max} may be left blank (prorated)"
    else:
        text += "; every item is needed for a total"
    if inst.optional_scored:
        text += f"; optional: {', '.join(sorted(inst.optional_scored))}"
    return text


def _change_lines(inst: Instrument, meta: Mapping[str, Any]) -> list[str]:
    spec = inst.reliable_change
    if spec is None:
        return ["  none defined for this instrument"]
    facts = _facts((meta.get("reliable_change") or {}).get("facts"))
    if spec.method == "published_threshold":
        line = f"  published threshold: a change of {_n(spec.threshold_points)} points or more"
    elif spec.reliability is not None and spec.norm_sd is not None:
        points = Z_CRITICAL * s_diff(spec.reliability, spec.norm_sd)
        line = (
            f"  Jacobson & Truax: r = {spec.reliability}, norm SD = {spec.norm_sd}; "
            f"reliable beyond {points:.2f} points"
        )
    else:
        line = "  Jacobson & Truax (reliability and norm SD supplied by the caller)"
    lines = [line + facts]
    if spec.source:
        lines.append(f"    source: {_plain_source(spec.source)}")
    return lines


def describe(inst: Instrument) -> str:
    """A readable account of an instrument, from its definition only."""
    meta = thaw(inst.metadata)
    direction = (
        "higher scores mean more difficulty"
        if inst.direction == "higher_is_worse"
        else "higher scores are better"
    )
    status = "validated" if inst.validated else "NOT a validated instrument"
    notice = meta.get("not_validated_notice")
    if isinstance(notice, Mapping) and notice.get("en"):
        status += f" ({notice['en']})"
    languages = ", ".join(inst.languages)
    if meta.get("languages_note"):
        languages += f" ({meta['languages_note']})"
    lines = [
        f"{inst.id}: {inst.title}",
        f"  version     {inst.version}",
        f"  status      {status}",
        f"  source      {SOURCES.get(inst.source, inst.source)}",
        f"  languages   {languages}",
        f"  direction   {direction}",
        f"  total       {_total_line(inst)}",
    ]
    if inst.adopted_from:
        lines.append(f"  clinical rules adopted from {inst.adopted_from}")
    lines += ["", "Items (position, linkId, text; answers: weight, code, display)"]
    for item in inst.items:
        lines += _item_lines(item, item.link_id in inst.scored)
    lines += ["", "Bands (total)"]
    width = max((len(band.code) for band in inst.bands), default=0)
    for band in inst.bands:
        span = f"{_n(band.lower)}-{_n(band.upper)}"
        lines.append(f"  {span:>7}  {band.code.ljust(width)}  {band.label['en']}")
    if not inst.bands:
        lines.append("  none")
    if inst.subscales:
        lines += ["", "Subscales (columns subscale_<code> in `alliance score`)"]
        for sub in inst.subscales:
            lines.append(f"  {sub.code}  {sub.label['en']}: {', '.join(sub.items)}")
    lines += ["", "Critical items"]
    for rule in inst.critical:
        item = inst.item(rule.link_id)
        lines.append(
            f"  {rule.link_id} (item {item.position}): an answer of {_n(rule.min_value)} or more"
            f" — {rule.label['en']}"
        )
    if not inst.critical:
        lines.append("  none")
    lines += ["", "Clinical cut-off"]
    cutoff = inst.clinical_cutoff
    if cutoff is None:
        lines.append("  none")
    else:
        facts = _facts((meta.get("clinical_cutoff") or {}).get("facts"))
        lines.append(
            f"  {_a_total_of(cutoff.clinical_if, cutoff.value)} is in the clinical range{facts}"
        )
        if cutoff.by_sex:
            by_sex = ", ".join(f"{sex} {_n(v)}" for sex, v in cutoff.by_sex.items())
            lines.append(f"  by sex: {by_sex}")
    rupture = meta.get("rupture_cutoff")
    if isinstance(rupture, Mapping):
        lines += ["", "Rupture cut-off"]
        flag_if = str(rupture.get("flag_if", "<="))
        lines.append(f"  {_a_total_of(flag_if, rupture.get('value'))} suggests a rupture")
        if rupture.get("note"):
            lines.append(f"  {rupture['note']}")
    lines += ["", "Reliable change", *_change_lines(inst, meta)]
    if inst.import_notes or inst.calculated_expression:
        lines += ["", "Import notes"]
        lines += [f"  {note}" for note in inst.import_notes]
        if inst.calculated_expression:
            lines.append(f"  expression in the file: {inst.calculated_expression}")
    lines += ["", "Citations"]
    lines += [f"  - {citation}" for citation in meta.get("citations") or ["none given"]]
    lines += ["", "Licence", f"  {meta.get('licence') or 'not stated'}"]
    licence_facts = _facts(meta.get("licence_facts"))
    if licence_facts:
        lines.append(f" {licence_facts}")
    return "\n".join(lines)
