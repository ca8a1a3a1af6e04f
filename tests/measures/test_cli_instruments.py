"""`alliance instruments list | show ID | import FILE.json [--id ID]`."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

import alliance.instruments.registry as registry_module
from alliance import instruments as engine
from alliance.measures import instruments as practice
from alliance.measures.models import PracticeInstrument

DATA = Path(__file__).parent / "data"
LHC_PHQ9 = Path(__file__).resolve().parents[3] / "shared/fixtures/external/lhc-forms-phq9.json"
LHC_ID = "imported-phq-9-quick-depression-assessment-panel"
BUILTINS = [
    "audit-c",
    "gad-2",
    "gad-7",
    "pcl-5",
    "phq-15",
    "phq-2",
    "phq-9",
    "session-feedback",
]


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget every instrument registered in this process, as a fresh process would."""
    monkeypatch.setattr(registry_module, "default_registry", engine.InstrumentRegistry())
    monkeypatch.setattr(practice, "_loaded", set())


@pytest.fixture(autouse=True)
def fresh_instruments(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    new_process(monkeypatch)


@pytest.fixture
def lhc_phq9() -> Path:
    if not LHC_PHQ9.exists():
        pytest.skip(f"external fixture not found at {LHC_PHQ9}")
    return LHC_PHQ9


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("instruments", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def listed_ids() -> list[str]:
    return [line.split()[0] for line in run("list")[0].splitlines()]


# -- list --------------------------------------------------------------------------------


def test_list_gives_one_line_per_instrument_sorted_by_id() -> None:
    out, _ = run("list")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == BUILTINS
    phq9 = next(line for line in lines if line.startswith("phq-9 "))
    assert phq9.split("  ")[0] == "phq-9"
    assert "1.0.0" in phq9 and "en,es" in phq9 and "builtin" in phq9
    assert " validated " in phq9
    assert phq9.endswith("Patient Health Questionnaire-9 (PHQ-9)")
    feedback = next(line for line in lines if line.startswith("session-feedback"))
    assert " not validated " in feedback


# -- show --------------------------------------------------------------------------------


def test_show_describes_the_phq9_in_full() -> None:
    out, _ = run("show", "phq-9")
    assert out.startswith("phq-9: Patient Health Questionnaire-9 (PHQ-9)\n")
    for expected in [
        "version     1.0.0",
        "status      validated",
        "languages   en, es",
        "range 0-27",
        "    1  phq9-1  Little interest or pleasure in doing things",
        "           3  LA6571-9  Nearly every day",
        "   10  phq9-difficulty  If you checked off any problems",
        "(not scored)",
        "     0-4  minimal            Minimal",
        "   20-27  severe             Severe",
        "phq9-9 (item 9): an answer of 1 or more",
        "a total of 10 or more is in the clinical range [not verified:",
        "published threshold: a change of 6 points or more",
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9",
        "No permission required to reproduce",
    ]:
        assert expected in out, expected


def test_show_says_when_an_instrument_is_not_validated() -> None:
    out, _ = run("show", "session-feedback")
    assert "status      NOT a validated instrument" in out
    assert "integer 0-10" in out
    assert "Rupture cut-off\n  a total of 39 or less suggests a rupture" in out
    assert "Reliable change\n  none defined" in out


def test_show_lists_subscales_and_sex_specific_cutoffs() -> None:
    pcl5, _ = run("show", "pcl-5")
    assert "intrusion  Intrusion (cluster B): pcl5-1, pcl5-2, pcl5-3, pcl5-4, pcl5-5" in pcl5
    audit_c, _ = run("show", "audit-c")
    assert "by sex: male 4, female 3" in audit_c
    assert "Critical items\n  none" in audit_c


def test_show_an_unknown_instrument() -> None:
    with pytest.raises(CommandError) as caught:
        run("show", "phq-99")
    assert str(caught.value) == "unknown instrument 'phq-99'; see `alliance instruments list`"


# -- import ------------------------------------------------------------------------------


def test_import_of_the_lhc_phq9_prints_its_id_alone(lhc_phq9: Path) -> None:
    out, err = run("import", lhc_phq9)
    assert out == f"{LHC_ID}\n"
    assert err.startswith("imported: PHQ-9 quick depression assessment panel")
    assert "adopted from built-in phq-9@1.0.0" in err
    row = PracticeInstrument.objects.get()
    assert (row.instrument_id, row.source_name) == (LHC_ID, "lhc-forms-phq9.json")
    assert LHC_ID in listed_ids()
    line = next(line for line in run("list")[0].splitlines() if line.startswith(LHC_ID))
    assert "imported" in line and "sha256:" in line


def test_import_is_idempotent(lhc_phq9: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = run("import", lhc_phq9)
    again, err = run("import", lhc_phq9)
    assert first == again == f"{LHC_ID}\n"
    assert err.startswith("imported before; nothing changed")
    new_process(monkeypatch)
    third, _ = run("import", lhc_phq9)
    assert third == first
    assert PracticeInstrument.objects.count() == 1
    assert listed_ids().count(LHC_ID) == 1


def test_an_imported_instrument_is_seen_by_a_new_process(
    lhc_phq9: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("import", lhc_phq9)
    new_process(monkeypatch)
    assert LHC_ID in listed_ids()
    out, _ = run("show", LHC_ID)
    assert "source      imported" in out
    assert "clinical rules adopted from phq-9@1.0.0" in out
    assert "/44260-8 (item 9): an answer of 1 or more" in out
    assert "expression in the file: iif(%any_questions_answered" in out


def test_import_under_a_chosen_id(lhc_phq9: Path) -> None:
    out, _ = run("import", lhc_phq9, "--id", "phq-9-lhc")
    assert out == "phq-9-lhc\n"
    assert "phq-9-lhc" in listed_ids()


@pytest.mark.parametrize(
    ("chosen", "reason"),
    [("PHQ 9", "must be a lowercase slug"), ("phq-9", "'phq-9' is already taken")],
)
def test_import_refuses_a_bad_or_taken_id(lhc_phq9: Path, chosen: str, reason: str) -> None:
    with pytest.raises(CommandError, match=reason):
        run("import", lhc_phq9, "--id", chosen)
    assert PracticeInstrument.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not-a-questionnaire.json", "not a Questionnaire: resourceType is 'Patient'"),
        ("questionnaire-no-items.json", "the Questionnaire has no items"),
        ("invalid.json", r".*invalid\.json is not valid JSON \(line 2"),
        ("nowhere.json", r"no such file: .*nowhere\.json"),
    ],
)
def test_import_refuses_what_is_not_a_usable_questionnaire(name: str, reason: str) -> None:
    with pytest.raises(CommandError, match=f"not imported: {reason}"):
        run("import", DATA / name)
    assert PracticeInstrument.objects.count() == 0
    assert listed_ids() == BUILTINS


def test_import_refuses_json_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"resourceType": "Questionnaire"}]), encoding="utf-8")
    with pytest.raises(CommandError, match="expected a JSON object"):
        run("import", path)
    assert PracticeInstrument.objects.count() == 0


def test_importing_a_builtin_definition_changes_nothing() -> None:
    definition = Path(engine.registry.DEFINITIONS_DIR) / "phq-9.json"
    out, err = run("import", definition)
    assert out == "phq-9\n"
    assert err.startswith("built in already; nothing imported")
    assert PracticeInstrument.objects.count() == 0


# -- limits ------------------------------------------------------------------------------

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def large(items: int, text: int = 20) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "Large questionnaire",
        "item": [
            {
                "linkId": f"q{n}",
                "type": "choice",
                "text": "x" * text,
                "answerOption": [
                    {
                        "valueCoding": {"code": f"a{k}", "display": "y" * text},
                        "extension": [{"url": ORDINAL, "valueDecimal": k}],
                    }
                    for k in range(4)
                ],
            }
            for n in range(items)
        ],
    }


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.json"
    path.write_text(json.dumps(large(1_000, text=1_000)), encoding="utf-8")
    assert path.stat().st_size > 5_000_000

    def not_read(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(Path, "read_text", not_read)
    monkeypatch.setattr(Path, "read_bytes", not_read)
    with pytest.raises(CommandError, match=r"^not imported: the file is 5\.\d MB; at most 5 MB"):
        run("import", path)
    assert PracticeInstrument.objects.count() == 0


def test_too_many_items_are_refused_and_nothing_is_registered(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps(large(1_001)), encoding="utf-8")
    refused = r"^not imported: .*more than 1,000 items; at most 1,000"
    with pytest.raises(CommandError, match=refused):
        run("import", path)
    assert PracticeInstrument.objects.count() == 0
    assert listed_ids() == BUILTINS


def test_a_questionnaire_at_the_item_limit_is_imported(tmp_path: Path) -> None:
    path = tmp_path / "limit.json"
    path.write_text(json.dumps(large(1_000)), encoding="utf-8")
    out, _ = run("import", path)
    assert out == "imported-large-questionnaire\n"
