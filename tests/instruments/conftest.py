"""Fixtures for the instrument-engine tests (pure Python; no Django)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from instrument_test_helpers import LHC_PHQ9, SDC_NESTED

from alliance.instruments import InstrumentRegistry


@pytest.fixture
def lhc_phq9() -> dict[str, Any]:
    if not LHC_PHQ9.exists():
        pytest.skip(f"external fixture not found at {LHC_PHQ9}")
    return json.loads(LHC_PHQ9.read_text(encoding="utf-8"))


@pytest.fixture
def sdc_nested() -> dict[str, Any]:
    return json.loads(SDC_NESTED.read_text(encoding="utf-8"))


@pytest.fixture
def registry() -> InstrumentRegistry:
    """A private registry (built-ins included) so tests never leak instruments into each other."""
    return InstrumentRegistry()
