from __future__ import annotations

import html
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance import localtime
from alliance.instruments import names
from alliance.measures.instruments import get_instrument
from alliance.web import charts

register = template.Library()


@register.simple_tag
def table_region(*heading_id: object, label: str = "") -> SafeString:
    """The attributes of every ``.table-wrap``, the box a wide table scrolls sideways in on
    a phone. A region that scrolls must take keyboard focus, so that the arrow keys scroll
    it, and have a name a screen reader announces (WCAG 2.1.1; axe's
    scrollable-region-focusable). Name it by its heading's id, given in parts
    (``{% table_region "goal-" goal.pk %}``), or by a ``label``."""
    if heading_id:
        return format_html(
            'class="table-wrap" tabindex="0" role="region" aria-labelledby="{}"',
            "".join(str(part) for part in heading_id),
        )
    if not label:
        raise template.TemplateSyntaxError("table_region needs a heading's id or a label")
    return format_html('class="table-wrap" tabindex="0" role="region" aria-label="{}"', label)


@register.simple_tag
def table_row(head: object, *cells: object) -> SafeString:
    """``<tr><th scope="row">head</th><td>cell</td>…</tr>``, each value escaped as
    ``{{ value }}`` would be; a list among ``cells`` gives a cell for each of its items.
    For tables of many plain rows (the practice report's: 25 therapists by up to eight
    columns, four times over), where a template loop over the cells, or ``format_html``,
    costs more than the rest of the page (benchmarks/README.md)."""
    values = (
        value for cell in cells for value in (cell if isinstance(cell, list | tuple) else [cell])
    )
    row = "".join(f"<td>{_escaped(value)}</td>" for value in values)
    return mark_safe(f'<tr><th scope="row">{_escaped(head)}</th>{row}</tr>')  # noqa: S308


def _escaped(value: object) -> str:
    """``conditional_escape`` without its lazy-string wrapper: what is already safe HTML
    as it is, anything else through ``html.escape`` (which Django's ``escape`` calls)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


@register.filter
def instrument_title(instrument_id: str) -> str:
    try:
        instrument = get_instrument(instrument_id)
    except engine.UnknownInstrument:
        return instrument_id
    return formal_name(instrument)


@register.filter
def formal_name(instrument: engine.Instrument) -> str:
    """The instrument's published name, as clinicians see it (our own form's in the page's
    language)."""
    return names.formal_name(instrument, translation.get_language() or settings.LANGUAGE_CODE)


@register.filter
def client_name(instrument: engine.Instrument) -> str:
    """The plain short name a client sees ("Mood check-in"), in the page's language."""
    return names.client_name(instrument, translation.get_language() or settings.LANGUAGE_CODE)


@register.filter(expects_localtime=True)
def when(value: Any, style: str) -> str:
    """A date or time in the reader's language and time zone, in one of the named styles
    of ``alliance.localtime`` ("date", "weekday_time"...)."""
    if value in (None, ""):
        return ""
    return localtime.when(value, style)


@register.filter
def score(value: float | None) -> str:
    """Totals are whole numbers for most instruments; show them without a trailing .0."""
    if value is None:
        return "—"
    return charts.number(value)


@register.filter
def state(administration: Any) -> str:
    """An administration's state now: due, overdue, upcoming, completed or cancelled."""
    return str(administration.state(timezone.now()))


@register.filter
def instrument_short(instrument_id: str) -> str:
    """The short name clinicians use: PHQ-9, GAD-7…"""
    return instrument_id.upper() if instrument_id else ""


@register.filter
def since_intake(measure: Any) -> str:
    """How a caseload measure (``MeasureScore``) moved since intake, in words that say
    better or worse: an arrow alone does not say whether up is worse. "↑8 since intake:
    reliably worse"."""
    if measure.intake is None:
        return str(_("first score"))
    if measure.since_intake == "same":
        return str(_("same as at intake"))
    points = {"points": ("↓" if measure.change < 0 else "↑") + score(abs(measure.change))}
    if measure.recovered:
        return _("%(points)s since intake: recovered") % points
    if measure.since_intake == "better":
        if measure.reliably:
            return _("%(points)s since intake: reliably better") % points
        return _("%(points)s since intake: better") % points
    if measure.reliably:
        return _("%(points)s since intake: reliably worse") % points
    return _("%(points)s since intake: worse") % points


@register.simple_tag(takes_context=True)
def panel(context: Any, shown: Any) -> SafeString:
    """A panel (``web/presenters/panels``): its template, rendered with its own context
    only, as an inclusion tag would. The view built the panel; nothing here queries or
    asks who may see it."""
    page = context.new(dict(shown.context))
    csrf_token = context.get("csrf_token")
    if csrf_token is not None:
        page["csrf_token"] = csrf_token
    rendered: SafeString = context.template.engine.get_template(shown.template).render(page)
    return rendered
