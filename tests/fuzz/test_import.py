"""Fuzz `alliance instruments import FILE.json` with real Questionnaires, mutated.

The sources are the built-in definitions, the NLM LHC-Forms PHQ-9 and the HL7 SDC nested
example. Each case writes a file and runs the command's own handler on it. The file is
either registered, or refused with the command's one error ("not imported: …", from the
engine's QuestionnaireImportError) and nothing is registered, in the database or in the
process. Any other exception fails the test.
"""

from __future__ import annotations

import copy
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import alliance.instruments.registry as registry_module
from alliance import instruments as engine
from alliance.measures import instruments as practice
from alliance.measures.management.commands.instruments import Command
from alliance.measures.models import PracticeInstrument
from tests.fuzz.budget import IMPORT_CASES, FuzzCounter
from tests.fuzz.strategies import NASTY_STRINGS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "src/alliance/instruments/definitions").glob("*.json")) + [
    path
    for path in (
        ROOT.parent / "shared/fixtures/external/lhc-forms-phq9.json",
        ROOT / "tests/instruments/fixtures/sdc-nested-wellbeing.json",
    )
    if path.exists()
]
TEXTS = [path.read_text(encoding="utf-8") for path in SOURCES]

CALCULATED_URL = (
    "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
)
EXTENSION_URLS = [
    engine.SCORING_URL,
    CALCULATED_URL,
    "http://hl7.org/fhir/StructureDefinition/variable",
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/minValue",
    "http://hl7.org/fhir/StructureDefinition/maxValue",
    "http://hl7.org/fhir/StructureDefinition/translation",
]
EXPRESSIONS = [
    "%a + %b",
    "iif(%q1.exists(), %q1, 0) * 2",
    "sum(",
    "%resource.item.where(linkId='/nope').answer.value.ordinal()",
    "item.where(linkId='x').answer.value.ordinal().sum()",
    "(((((((((",
    "' + `",
    "\\",
    "%" * 500,
    "",
]
# Keys the importer reads: an added key lands where it matters.
KEYS = [
    "resourceType",
    "id",
    "url",
    "version",
    "title",
    "name",
    "status",
    "item",
    "linkId",
    "text",
    "type",
    "required",
    "repeats",
    "readOnly",
    "answerOption",
    "answerValueSet",
    "valueCoding",
    "valueInteger",
    "valueDecimal",
    "valueString",
    "valueExpression",
    "expression",
    "code",
    "system",
    "display",
    "extension",
    "contained",
    "compose",
    "include",
    "concept",
    "enableWhen",
    "_text",
    "_display",
]

JSON_SCALARS = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 2**63, -(10**30), 1.5, -0.0, 1e308]),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.integers(),
    st.sampled_from(NASTY_STRINGS),
    st.sampled_from(EXPRESSIONS),
    st.sampled_from(EXTENSION_URLS),
)
# Values of the wrong shape, ready-made (one draw each, where a recursive strategy
# would draw every leaf).
ODD_SHAPES: list[Any] = [
    [],
    {},
    [None],
    [[[]]],
    {"": None},
    [1, "a", None, {}],
    {"linkId": None, "type": "choice"},
    {"linkId": "x", "type": "group", "item": {}},
    {"url": 1, "valueDecimal": "1"},
    {"url": ["a"], "extension": "x"},
    {"extension": {}},
    {"item": "not a list"},
    {"answerOption": [{"valueCoding": {"code": None}}]},
    {"valueCoding": {"code": ["LA6568-5"], "display": {}}},
    {"resourceType": "Questionnaire", "item": []},
    [{"linkId": "q", "type": "choice", "answerOption": [{}]}],
]
JSON_VALUES = st.one_of(JSON_SCALARS, st.sampled_from(ODD_SHAPES).map(copy.deepcopy))
OPERATIONS = [
    "drop",
    "add",
    "retype",
    "retype",
    "link_id",
    "duplicate",
    "shuffle",
    "expression",
    "extension",
    "empty",
    "nest",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _link_ids(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["linkId"]] if isinstance(node.get("linkId"), str) else []
        return own + [link for value in node.values() for link in _link_ids(value)]
    if isinstance(node, list):
        return [link for value in node for link in _link_ids(value)]
    return []


# Every point of every source, and its linkIds, worked out once (mutation picks from these).
PATHS = [list(_paths(json.loads(text)))[1:] for text in TEXTS]
LINK_IDS = [sorted(set(_link_ids(json.loads(text)))) or ["x"] for text in TEXTS]


def _at(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        root = root[step]
    return root


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A real Questionnaire with one to three changes, each at a point of its tree."""
    source = draw(st.integers(0, len(TEXTS) - 1))
    tree = json.loads(TEXTS[source])
    nested = False
    for _ in range(draw(st.integers(1, 3))):
        path = PATHS[source][draw(st.integers(0, len(PATHS[source]) - 1))]
        operation = draw(st.sampled_from(OPERATIONS))
        try:
            parent = _at(tree, path[:-1])
            node = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this point
        if not isinstance(parent, dict | list):
            continue  # or replaced what held it
        last = path[-1]
        if operation == "drop":
            del parent[last]
        elif operation == "retype":
            parent[last] = draw(JSON_VALUES)
        elif operation == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS))] = draw(JSON_VALUES)
        elif operation == "link_id":
            value = draw(st.sampled_from(LINK_IDS[source]) | st.sampled_from(NASTY_STRINGS))
            if isinstance(node, dict):
                node["linkId"] = value  # often a duplicate of another item's
            else:
                parent[last] = value
        elif operation == "duplicate" and isinstance(node, list) and node:
            node.insert(draw(st.integers(0, len(node))), json.loads(json.dumps(node[0])))
        elif operation == "shuffle" and isinstance(node, list):
            parent[last] = draw(st.permutations(node))
        elif operation == "expression":
            parent[last] = {
                "url": draw(st.sampled_from(EXTENSION_URLS)),
                "valueExpression": {
                    "language": "text/fhirpath",
                    "expression": draw(st.sampled_from(EXPRESSIONS)),
                },
            }
        elif operation == "extension":
            value_key = draw(st.sampled_from(["valueDecimal", "valueInteger", "valueString"]))
            parent[last] = {
                "url": draw(st.sampled_from(EXTENSION_URLS) | JSON_SCALARS),
                value_key: draw(JSON_SCALARS),
            }
        elif operation == "empty":
            parent[last] = type(node)() if isinstance(node, dict | list | str) else None
        elif operation == "nest" and not nested:
            # Deeper nesting is written as raw text ("deep" below): json itself recurses.
            nested = True
            for level in range(draw(st.sampled_from([2, 10, 60, 300]))):
                node = [{"linkId": f"g{level}", "type": "group", "text": "G", "item": node}]
            parent[last] = node
    return tree


@dataclass(frozen=True)
class FileContent:
    """The bytes of one case; shown shortened when hypothesis reports a failing case."""

    data: bytes

    def __repr__(self) -> str:
        head = self.data[:300]
        return f"FileContent({head!r}{'…' if len(self.data) > 300 else ''}, {len(self.data)} bytes)"


def _dump(tree: Any) -> bytes:
    # allow_nan: Python writes NaN and Infinity, and so do other tools.
    return json.dumps(tree, ensure_ascii=True, allow_nan=True).encode()


LITERALS = [b"", b"null", b"[]", b"{}", b'"Questionnaire"', b"NaN", b"1e999", b"\xef\xbb\xbf{}"]
KINDS = ["json"] * 12 + ["truncated", "bytes", "encoding", "deep", "literal"]


@st.composite
def file_content(draw: st.DrawFn) -> FileContent:
    """Mostly a mutated Questionnaire; sometimes broken bytes, encodings or nesting."""
    kind = draw(st.sampled_from(KINDS))
    if kind == "json":
        return FileContent(_dump(draw(mutated())))
    if kind == "truncated":
        whole = TEXTS[draw(st.integers(0, len(TEXTS) - 1))].encode()
        return FileContent(whole[: draw(st.integers(0, len(whole) - 1))])
    if kind == "bytes":
        return FileContent(draw(st.binary(max_size=200)))
    if kind == "encoding":
        text = TEXTS[draw(st.integers(0, len(TEXTS) - 1))].replace("Little", "Lïttle ☺")
        codec = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "utf-8-sig", "cp1252"]))
        return FileContent(text.encode(codec, errors="replace"))
    if kind == "deep":
        depth = draw(st.sampled_from([300, 500, 1_200, 5_000, 100_000]))
        opener, closer = draw(
            st.sampled_from(
                [
                    ("[", "]"),
                    ('{"item":', "}"),
                    ('{"linkId":"g","type":"group","text":"G","item":[', "]}"),
                ]
            )
        )
        body = opener * depth + '{"linkId":"q","type":"string"}' + closer * depth
        return FileContent(
            f'{{"resourceType":"Questionnaire","status":"active","item":[{body}]}}'.encode()
        )
    return FileContent(draw(st.sampled_from(LITERALS)))


def _registered(registry: engine.InstrumentRegistry) -> set[tuple[str, str]]:
    return {
        (inst.id, inst.version)
        for versions in registry._versions.values()
        for inst in versions.values()
    }


@pytest.fixture
def process_registry(monkeypatch: pytest.MonkeyPatch) -> engine.InstrumentRegistry:
    """A registry of this test's own, the built-ins loaded, as a fresh process has."""
    registry = engine.InstrumentRegistry()
    registry.instruments()
    monkeypatch.setattr(registry_module, "default_registry", registry)
    monkeypatch.setattr(practice, "_loaded", set())
    return registry


@pytest.mark.django_db
def test_import_registers_or_refuses_cleanly(
    process_registry: engine.InstrumentRegistry, tmp_path: Path, fuzz_counter: FuzzCounter
) -> None:
    registry = process_registry
    versions, current = registry._versions, registry._current
    builtins = _registered(registry)
    path = tmp_path / "questionnaire.json"
    outcomes = {"registered": 0, "refused": 0}

    @settings(
        max_examples=IMPORT_CASES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        content=file_content(),
        instrument_id=st.none() | st.sampled_from(["practice-scale", "phq-9", "Not A Slug", ""]),
    )
    def case(content: FileContent, instrument_id: str | None) -> None:
        # Every case starts from a fresh process: the built-ins and nothing imported.
        registry._versions = {key: dict(value) for key, value in versions.items()}
        registry._current = dict(current)
        practice._loaded.clear()
        path.write_bytes(content.data)
        command = Command(stdout=io.StringIO(), stderr=io.StringIO())
        with transaction.atomic():
            try:
                command.handle(action="import", file=str(path), instrument_id=instrument_id)
            except CommandError as refused:
                assert str(refused).startswith("not imported: "), refused
                assert _registered(registry) == builtins, "a refused file registered something"
                assert not PracticeInstrument.objects.exists()
                outcomes["refused"] += 1
            else:
                new = _registered(registry) - builtins
                assert len(new) <= 1
                for new_id, version in new:
                    inst = registry.get(new_id, version)
                    assert inst.items
                    assert all(
                        math.isfinite(float(bound))
                        for bound in (inst.total_min, inst.total_max)
                        if bound is not None
                    )
                    assert PracticeInstrument.objects.filter(instrument_id=new_id).exists()
                outcomes["registered"] += 1
            transaction.set_rollback(True)
        fuzz_counter.add("import")

    case()
    # Both outcomes happen: the mutations are neither all harmless nor all fatal.
    assert outcomes["registered"] > IMPORT_CASES // 50, outcomes
    assert outcomes["refused"] > IMPORT_CASES // 2, outcomes
    assert sum(outcomes.values()) >= IMPORT_CASES, outcomes


def _gad2(**changes: Any) -> dict[str, Any]:
    """The built-in GAD-2 as a new version (so that it may be registered), changed."""
    questionnaire = json.loads(
        (ROOT / "src/alliance/instruments/definitions/gad-2.json").read_text()
    )
    return {**questionnaire, "version": "9.9.9", **changes}


# What fuzzing found crashing the command (each was an uncaught exception before).
FOUND: dict[str, bytes] = {
    "nested too deeply (RecursionError)": b'{"item":' + b"[" * 5000 + b"]" * 5000 + b"}",
    "an extension's url not a string (TypeError)": _dump(
        _gad2(item=[{**item, "_text": {"extension": [{"url": ["a"]}]}} for item in _gad2()["item"]])
    ),
    "a lone surrogate (UnicodeEncodeError)": _dump(_gad2(title="PHQ \ud800")),
    "NaN, which the database cannot store (IntegrityError)": _dump(_gad2(publisher=math.nan)),
    "1e999, read as infinity (IntegrityError)": _dump(_gad2()).replace(
        b'"version"', b'"x": 1e999, "version"'
    ),
    "a NUL character, which PostgreSQL cannot store (DataError)": _dump(_gad2(title="a\x00b")),
    "a version too long for its column on PostgreSQL (DataError)": _dump(_gad2(version="1" * 61)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("content", FOUND.values(), ids=FOUND.keys())
def test_what_fuzzing_found_is_refused_cleanly(
    process_registry: engine.InstrumentRegistry, tmp_path: Path, content: bytes
) -> None:
    builtins = _registered(process_registry)
    path = tmp_path / "questionnaire.json"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=r"^not imported: "):
        Command(stdout=io.StringIO(), stderr=io.StringIO()).handle(
            action="import", file=str(path), instrument_id=None
        )
    assert _registered(process_registry) == builtins
    assert not PracticeInstrument.objects.exists()


@pytest.mark.django_db
def test_the_unchanged_file_of_those_cases_registers(
    process_registry: engine.InstrumentRegistry, tmp_path: Path
) -> None:
    """The control: without the fault, the same file is imported."""
    path = tmp_path / "questionnaire.json"
    path.write_bytes(_dump(_gad2()))
    Command(stdout=io.StringIO(), stderr=io.StringIO()).handle(
        action="import", file=str(path), instrument_id=None
    )
    assert process_registry.get("gad-2", "9.9.9").version == "9.9.9"
    assert PracticeInstrument.objects.filter(instrument_id="gad-2", version="9.9.9").exists()
