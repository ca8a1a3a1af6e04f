"""Immutable description of an instrument, built once from its FHIR Questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["higher_is_worse", "higher_is_better"]
ItemKind = Literal["choice", "integer", "decimal", "text"]
Number = int | float


@dataclass(frozen=True)
class AnswerOption:
    code: str
    system: str | None
    display: str
    weight: Number | None
    translations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One answerable item (groups, display items and calculated totals are not items)."""

    link_id: str
    position: int  # 1-based, document order, over answerable items only
    kind: ItemKind
    text: str
    required: bool
    options: tuple[AnswerOption, ...] = ()
    min_value: Number | None = None
    max_value: Number | None = None
    loinc: str | None = None
    translations: Mapping[str, str] = field(default_factory=dict)

    @property
    def weighted(self) -> bool:
        return bool(self.options) and all(o.weight is not None for o in self.options)

    @property
    def scorable(self) -> bool:
        """Can contribute a number to a total: weighted choice, or bounded integer/decimal."""
        if self.kind == "choice":
            return self.weighted
        if self.kind in ("integer", "decimal"):
            return self.min_value is not None and self.max_value is not None
        return False

    def allowed_values(self) -> tuple[Number, ...]:
        """Every value this item can contribute, in ascending order (bounded integers only)."""
        if self.kind == "choice":
            return tuple(sorted({o.weight for o in self.options if o.weight is not None}))
        if self.kind == "integer" and self.min_value is not None and self.max_value is not None:
            return tuple(range(int(self.min_value), int(self.max_value) + 1))
        return ()

    def label(self) -> str:
        return f"item {self.link_id!r} (position {self.position})"


@dataclass(frozen=True)
class Band:
    index: int
    code: str
    lower: Number  # inclusive
    upper: Number  # inclusive
    label: Mapping[str, str]
    client_text: Mapping[str, str]


@dataclass(frozen=True)
class CriticalRule:
    link_id: str
    min_value: Number
    label: Mapping[str, str]


@dataclass(frozen=True)
class Cutoff:
    """A total is in the clinical range when ``total >= value`` (or ``<=``, per ``clinical_if``)."""

    value: Number
    clinical_if: Literal[">=", "<="]
    by_sex: Mapping[str, Number] = field(default_factory=dict)

    def is_clinical(self, total: Number) -> bool:
        return total >= self.value if self.clinical_if == ">=" else total <= self.value


@dataclass(frozen=True)
class ReliableChangeSpec:
    method: Literal["published_threshold", "jacobson_truax"]
    threshold_points: Number | None
    reliability: float | None
    norm_sd: float | None
    source: str


@dataclass(frozen=True)
class Subscale:
    code: str
    items: tuple[str, ...]
    label: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class Instrument:
    id: str
    version: str
    url: str | None
    title: str
    direction: Direction
    validated: bool
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    scored: tuple[str, ...]  # link ids summed into the total, in order; also the batch columns
    optional_scored: frozenset[str]
    total_min: Number
    total_max: Number
    total_link_id: str | None
    total_loinc: str | None
    missing_max: int
    missing_method: Literal["none", "prorate"]
    bands: tuple[Band, ...]
    critical: tuple[CriticalRule, ...]
    clinical_cutoff: Cutoff | None
    reliable_change: ReliableChangeSpec | None
    subscales: tuple[Subscale, ...]
    integer_scores: bool
    metadata: Mapping[str, Any]
    questionnaire: Mapping[str, Any]
    source: Literal["builtin", "registered", "imported"]
    content_hash: str
    adopted_from: str | None = None
    calculated_expression: str | None = None
    import_notes: tuple[str, ...] = ()
    by_link_id: Mapping[str, Item] = field(default_factory=dict)
    # ``_title`` translations: only a form of our own has one; a published instrument keeps
    # its published name.
    title_translations: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_scored(self) -> bool:
        """False for a form with answers only (``"scored": false``), e.g. an exercise."""
        return bool(self.scored)

    @property
    def purpose(self) -> str:
        """``measure`` for scored instruments; an unscored form names its own (``exercise``)."""
        if self.is_scored:
            return "measure"
        return str(self.metadata.get("purpose", "form"))

    @property
    def batch_columns(self) -> tuple[str, ...]:
        """Column order expected by :func:`score_batch`: the scored items."""
        return self.scored

    def item(self, link_id: str) -> Item:
        return self.by_link_id[link_id]

    def band_for(self, total: Number | None) -> Band | None:
        if total is None:
            return None
        found: Band | None = None
        for band in self.bands:
            if total >= band.lower:
                found = band
        return found

    def __repr__(self) -> str:
        return f"<Instrument {self.id}@{self.version} ({len(self.items)} items)>"
