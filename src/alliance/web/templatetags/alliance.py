from __future__ import annotations

from django import template

from alliance import instruments as engine
from alliance.measures.instruments import get_instrument

register = template.Library()


@register.filter
def instrument_title(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).title
    except engine.UnknownInstrument:
        return instrument_id


@register.filter
def score(value: float | None) -> str:
    """Totals are whole numbers for most instruments; show them without a trailing .0."""
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
