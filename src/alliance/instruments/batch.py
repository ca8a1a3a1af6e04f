"""Vectorised scoring of many responses with numpy; same results as :func:`score` per row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import InvalidAnswers
from .model import Instrument
from .registry import resolve

OK = 0
INCOMPLETE = 1  # more items missing than the rule allows: no total (score() gives total None)
INVALID = 2  # a value that is not an allowed answer (score() raises InvalidAnswers)


@dataclass(frozen=True, eq=False)
class BatchResult:
    instrument_id: str
    instrument_version: str
    columns: tuple[str, ...]  # linkIds of the input columns (Instrument.batch_columns)
    totals: npt.NDArray[np.float64]  # NaN where there is no total
    band_index: npt.NDArray[np.int16]  # index into Instrument.bands; -1 where no band
    critical: npt.NDArray[np.bool_]  # any critical item tripped (checked on valid answers only)
    critical_items: npt.NDArray[np.bool_]  # (n, len(critical_link_ids))
    critical_link_ids: tuple[str, ...]
    errors: npt.NDArray[np.int8]  # OK, INCOMPLETE or INVALID
    prorated: npt.NDArray[np.bool_]


def score_batch(instrument: str | Instrument, matrix: Any) -> BatchResult:
    """Score an (n_responses x n_scored_items) array of answer weights.

    Columns follow ``Instrument.batch_columns`` (the scored items in order). Missing answers
    are NaN or -1 (unless -1 is itself an allowed weight of that item). Rows are never
    raised on: ``errors`` says which rows are incomplete or invalid.
    """
    inst = resolve(instrument)
    if not inst.is_scored:
        raise InvalidAnswers([f"{inst.id} is an unscored form: there is nothing to score"], [])
    columns = inst.batch_columns
    data = np.asarray(matrix, dtype=np.float64)
    if data.ndim == 1 and data.size == len(columns):
        data = data.reshape(1, -1)
    if data.ndim != 2 or data.shape[1] != len(columns):
        raise InvalidAnswers(
            [
                f"expected an array of shape (n, {len(columns)}) for {inst.id}, "
                f"got {np.shape(matrix)}"
            ],
            [("", None)],
        )
    n = data.shape[0]
    missing = np.isnan(data)
    invalid = np.zeros(n, dtype=bool)
    values = np.zeros_like(data)
    for j, link in enumerate(columns):
        col = data[:, j]
        allowed = np.asarray(inst.item(link).allowed_values(), dtype=np.float64)
        if -1.0 not in allowed:
            missing[:, j] |= col == -1.0
        ok = np.isin(col, allowed)
        invalid |= ~(ok | missing[:, j])
        values[:, j] = np.where(ok, col, 0.0)
    answered = ~missing
    optional = np.array([c in inst.optional_scored for c in columns], dtype=bool)
    required = ~optional
    n_missing = (missing & required).sum(axis=1)
    complete = n_missing <= inst.missing_max

    totals = np.zeros(n, dtype=np.float64)
    for j in range(len(columns)):  # column by column: same summation order as score()
        totals += values[:, j]
    prorated = np.zeros(n, dtype=bool)
    if inst.missing_method == "prorate" and inst.missing_max > 0:
        prorated = complete & (n_missing > 0)
        if prorated.any():
            opt_sum = np.zeros(n, dtype=np.float64)
            for col_idx in np.flatnonzero(optional):
                opt_sum += values[:, int(col_idx)]
            n_required = int(required.sum())
            answered_required = (answered & required).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                scaled = (totals - opt_sum) * n_required / answered_required + opt_sum
            if inst.integer_scores:
                scaled = np.floor(scaled + 0.5)
            totals = np.where(prorated, scaled, totals)
    errors = np.where(invalid, INVALID, np.where(complete, OK, INCOMPLETE)).astype(np.int8)
    totals = np.where(errors == OK, totals, np.nan)

    band_index = np.full(n, -1, dtype=np.int16)
    if inst.bands:
        lows = np.array([b.lower for b in inst.bands], dtype=np.float64)
        has = errors == OK
        band_index[has] = (np.searchsorted(lows, totals[has], side="right") - 1).astype(np.int16)

    crit_ids = tuple(rule.link_id for rule in inst.critical)
    critical_items = np.zeros((n, len(crit_ids)), dtype=bool)
    for k, rule in enumerate(inst.critical):
        j = columns.index(rule.link_id)
        col = data[:, j]
        valid = answered[:, j] & np.isin(col, np.asarray(inst.item(rule.link_id).allowed_values()))
        critical_items[:, k] = valid & (col >= rule.min_value)
    return BatchResult(
        instrument_id=inst.id,
        instrument_version=inst.version,
        columns=columns,
        totals=totals,
        band_index=band_index,
        critical=np.asarray(critical_items.any(axis=1), dtype=bool),
        critical_items=critical_items,
        critical_link_ids=crit_ids,
        errors=errors,
        prorated=prorated & (errors == OK),
    )
