"""The numpy batch path gives exactly the results of score(), row by row."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from instrument_test_helpers import alliance_questionnaire

from alliance.instruments import (
    INCOMPLETE,
    INVALID,
    OK,
    Instrument,
    InstrumentRegistry,
    InvalidAnswers,
    get_instrument,
    score,
    score_batch,
)

BUILTINS = ["audit-c", "gad-2", "gad-7", "pcl-5", "phq-15", "phq-2", "phq-9", "session-feedback"]


def reference_phq9(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent formula: sum of 0-3 items; Kroenke bands 5/10/15/20; item 9 >= 1."""
    totals = matrix.sum(axis=1)
    bands = (totals >= 5).astype(int) + (totals >= 10) + (totals >= 15) + (totals >= 20)
    return totals, bands, matrix[:, 8] >= 1


def test_phq9_exhaustive_against_reference_formula() -> None:
    matrix = np.array(list(itertools.product(range(4), repeat=9)), dtype=np.float64)
    assert matrix.shape == (262_144, 9)
    result = score_batch("phq-9", matrix)
    totals, bands, critical = reference_phq9(matrix)
    assert np.array_equal(result.totals, totals)
    assert np.array_equal(result.band_index, bands)
    assert np.array_equal(result.critical, critical)
    assert np.array_equal(result.critical_items[:, 0], critical)
    assert (result.errors == OK).all()
    assert result.critical_link_ids == ("phq9-9",)


@pytest.mark.parametrize("iid", ["phq-2", "gad-2", "audit-c"])
def test_small_instruments_exhaustive_batch_equals_single(iid: str) -> None:
    inst = get_instrument(iid)
    levels = [inst.item(c).allowed_values() for c in inst.batch_columns]
    rows = list(itertools.product(*levels))
    result = score_batch(iid, np.array(rows, dtype=np.float64))
    for i, row in enumerate(rows):
        single = score(iid, list(row))
        assert result.totals[i] == single.total
        assert single.band is not None and result.band_index[i] == single.band.index


def assert_row_matches(inst: Instrument, row: list[float], batch_row: dict[str, object]) -> None:
    answers = [None if (math.isnan(v) or (v == -1 and -1 not in inst.item(c).allowed_values()))
               else (int(v) if float(v).is_integer() else v)
               for v, c in zip(row, inst.batch_columns, strict=True)]  # fmt: skip
    keyed = dict(zip(inst.batch_columns, answers, strict=True))
    try:
        single = score(inst, keyed)
    except InvalidAnswers:
        assert batch_row["error"] == INVALID
        return
    assert batch_row["error"] == (OK if single.total is not None else INCOMPLETE)
    if single.total is None:
        assert math.isnan(batch_row["total"])  # type: ignore[arg-type]
        assert batch_row["band"] == -1
    else:
        assert batch_row["total"] == single.total
        assert batch_row["band"] == (single.band.index if single.band else -1)
    assert batch_row["critical"] == single.critical_tripped
    assert batch_row["prorated"] == single.prorated


def cell_values(inst: Instrument, column: str) -> st.SearchStrategy[float]:
    allowed = [float(v) for v in inst.item(column).allowed_values()]
    return st.one_of(
        st.sampled_from(allowed),
        st.sampled_from([math.nan, -1.0, max(allowed) + 1, 0.5, -2.0, 99.0]),
    )


@st.composite
def instrument_and_rows(draw: st.DrawFn) -> tuple[Instrument, list[list[float]]]:
    inst = get_instrument(draw(st.sampled_from(BUILTINS)))
    row = st.tuples(*[cell_values(inst, c) for c in inst.batch_columns]).map(list)
    return inst, draw(st.lists(row, min_size=1, max_size=20))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instrument_and_rows())
def test_batch_equals_single_hypothesis(case: tuple[Instrument, list[list[float]]]) -> None:
    inst, rows = case
    result = score_batch(inst, np.array(rows, dtype=np.float64))
    for i, row in enumerate(rows):
        assert_row_matches(
            inst,
            row,
            {
                "total": result.totals[i],
                "band": result.band_index[i],
                "critical": bool(result.critical[i]),
                "error": result.errors[i],
                "prorated": bool(result.prorated[i]),
            },
        )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.sampled_from([0.0, 1.0, 2.0, 3.0, math.nan, 7.0])] * 6).map(list),
                min_size=1, max_size=30))  # fmt: skip
def test_prorating_batch_equals_single(rows: list[list[float]]) -> None:
    registry = InstrumentRegistry(load_builtins=False)
    inst = registry.register(
        alliance_questionnaire(
            "prorated", n_items=6, missing={"max_missing": 2, "method": "prorate"}
        )
    )
    result = score_batch(inst, np.array(rows))
    for i, row in enumerate(rows):
        assert_row_matches(
            inst,
            row,
            {
                "total": result.totals[i],
                "band": result.band_index[i],
                "critical": bool(result.critical[i]),
                "error": result.errors[i],
                "prorated": bool(result.prorated[i]),
            },
        )


def test_missing_and_invalid_rows() -> None:
    nan = math.nan
    result = score_batch(
        "phq-9",
        [[1] * 9, [1] * 8 + [nan], [1] * 8 + [-1], [1] * 8 + [4], [nan] * 8 + [2], [0] * 8 + [0.5]],
    )
    assert list(result.errors) == [OK, INCOMPLETE, INCOMPLETE, INVALID, INCOMPLETE, INVALID]
    assert result.totals[0] == 9 and np.isnan(result.totals[1:]).all()
    assert list(result.band_index) == [1, -1, -1, -1, -1, -1]
    # item 9 is checked even when the rest of the form is blank
    assert list(result.critical) == [True, False, False, False, True, False]


def test_single_row_and_shape_errors() -> None:
    assert score_batch("gad-2", [1, 2]).totals.tolist() == [3.0]
    with pytest.raises(InvalidAnswers, match=r"shape \(n, 9\)"):
        score_batch("phq-9", np.zeros((3, 8)))
