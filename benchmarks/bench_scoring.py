"""Batch-score 1M random PHQ-9 responses with numpy, then score a sample of the same responses
with fhirpathpy evaluating the NLM LHC-Forms PHQ-9's own FHIRPath (variables and
calculatedExpression), check both agree, and compare the cost per response.

    .venv/bin/python benchmarks/bench_scoring.py [--n 1000000] [--sample 2000] [--seed 20261125]

Progress goes to stderr; results to stdout; the last line is the ratio alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from fhirpathpy import compile as fhirpath_compile

from alliance.instruments import OK, get_instrument, import_questionnaire, score_batch

LHC_PHQ9 = (
    Path(__file__).resolve().parents[1].parent / "shared/fixtures/external/lhc-forms-phq9.json"
)
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class LhcTotal:
    """Evaluates the LHC-Forms total exactly as the form defines it, with fhirpathpy.

    The form's variables look up each answer's ``ordinalValue`` in ``%questionnaire`` by the
    answer code in ``%resource`` (a QuestionnaireResponse with valueCoding answers), so no
    ``ordinal()`` function is needed. Each expression is compiled once; variables are
    evaluated in order, each made available to the next, as an SDC form filler would.
    """

    def __init__(self, questionnaire: dict[str, Any]) -> None:
        self.questionnaire = questionnaire
        total_item = next(i for i in questionnaire["item"] if i["linkId"] == "/44261-6")
        self.context_item = total_item
        self.variables = []
        self.calculated = None
        for ext in total_item["extension"]:
            if ext["url"] == VARIABLE:
                expr = ext["valueExpression"]
                self.variables.append((expr["name"], fhirpath_compile(expr["expression"])))
            elif ext["url"] == CALCULATED:
                self.calculated = fhirpath_compile(ext["valueExpression"]["expression"])
        assert self.calculated is not None and self.variables

    def __call__(self, response: dict[str, Any]) -> float | None:
        env: dict[str, Any] = {"questionnaire": self.questionnaire, "resource": response}
        for name, fn in self.variables:
            env[name] = fn(self.context_item, env)
        result = self.calculated(self.context_item, env)
        return result[0] if result else None


def as_response(row: np.ndarray, link_ids: list[str], codes: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [
            {"linkId": link, "answer": [{"valueCoding": {"code": codes[int(v)]}}]}
            for link, v in zip(link_ids, row, strict=True)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    progress(f"generating {args.n:,} random PHQ-9 responses (seed {args.seed})")
    matrix = rng.integers(0, 4, size=(args.n, 9)).astype(np.float64)

    get_instrument("phq-9")  # load definitions outside the timing
    score_batch("phq-9", matrix[:1000])  # warm-up
    progress("batch scoring with numpy")
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = score_batch("phq-9", matrix)
        runs.append(time.perf_counter() - t0)
    batch_seconds = min(runs)
    assert (result.errors == OK).all()
    assert np.array_equal(result.totals, matrix.sum(axis=1))
    ours_per_second = args.n / batch_seconds
    progress(f"numpy: {batch_seconds:.3f} s for {args.n:,} (best of 3)")

    questionnaire = json.loads(LHC_PHQ9.read_text(encoding="utf-8"))
    imported = import_questionnaire(questionnaire)
    link_ids = list(imported.scored)
    codes = [o.code for o in imported.item(link_ids[0]).options]
    evaluate = LhcTotal(questionnaire)
    sample = matrix[: args.sample]
    responses = [as_response(row, link_ids, codes) for row in sample]  # built outside the timing
    evaluate(responses[0])  # warm-up
    progress(f"fhirpathpy: evaluating the LHC-Forms expressions on {args.sample:,} responses")
    t0 = time.perf_counter()
    fhirpath_totals = []
    step = max(1, args.sample // 10)
    for i, response in enumerate(responses, 1):
        fhirpath_totals.append(evaluate(response))
        if i % step == 0:
            progress(f"  {i:,}/{args.sample:,}")
    fhirpath_seconds = time.perf_counter() - t0
    mismatches = int(
        np.sum(np.asarray(fhirpath_totals, dtype=np.float64) != result.totals[: args.sample])
    )
    if mismatches:
        raise SystemExit(
            f"fhirpathpy and Alliance disagree on {mismatches} of {args.sample} responses"
        )
    fhirpath_per_response = fhirpath_seconds / args.sample
    fhirpath_per_second = 1 / fhirpath_per_response

    ns_per_response = batch_seconds * 1e9 / args.n
    print(
        f"alliance numpy batch: {ours_per_second:,.0f} responses/s "
        f"({ns_per_response:,.1f} ns per response, {args.n:,} responses)"
    )
    print(
        f"fhirpathpy (LHC-Forms expressions): {fhirpath_per_second:,.1f} responses/s "
        f"({fhirpath_per_response * 1e3:,.2f} ms per response, sample of {args.sample:,}; "
        f"{args.n:,} would take ~{fhirpath_per_response * args.n / 3600:,.1f} h)"
    )
    print(f"totals agree on all {args.sample:,} sampled responses")
    print(f"ratio: {ours_per_second / fhirpath_per_second:,.1f}x")


if __name__ == "__main__":
    main()
