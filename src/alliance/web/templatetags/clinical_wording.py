"""Formatting for the clinician workspace: numbers and codes read as words.

A rate is shown as a percentage, a band or subscale by the label its instrument gives it
in the reader's language; nothing here queries the database or decides who sees what.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.conf import settings
from django.utils import translation

from alliance.instruments import UnknownInstrument
from alliance.measures.instruments import get_instrument

register = template.Library()


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


@register.filter
def percent(rate: float | None) -> str:
    """0.5 -> "50%"; None (nothing to count) -> a dash, which the page explains."""
    if rate is None:
        return "—"
    return f"{round(rate * 100)}%"


@register.filter
def in_reader_language(texts: Mapping[str, str] | None) -> str:
    """A label the instrument gives in several languages, in the page's language."""
    if not texts:
        return "—"
    return str(texts.get(_language()) or texts.get("en") or next(iter(texts.values())))


@register.filter
def band_label(response: Any) -> str:
    """The response's band as its instrument names it ("Moderately severe"), not its code."""
    if not response.band:
        return "—"
    try:
        instrument = get_instrument(response.instrument_id, response.instrument_version)
    except UnknownInstrument:
        return str(response.band)
    for band in instrument.bands:
        if band.code == response.band:
            return in_reader_language(band.label)
    return str(response.band)


@register.filter
def subscale_label(code: str, instrument: Any) -> str:
    for subscale in getattr(instrument, "subscales", ()) or ():
        if subscale.code == code:
            return in_reader_language(subscale.label)
    return code
