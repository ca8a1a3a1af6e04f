"""``{% table_row %}`` writes a table row as the template loop it replaces did: every value
escaped as ``{{ value }}`` escapes it, what is already safe HTML left as it is, a list's
items a cell each."""

from __future__ import annotations

from django.template import Context, Template
from django.utils.safestring import mark_safe


def _render(source: str, **context: object) -> str:
    return Template("{% load alliance %}" + source).render(Context(context))


def test_a_row_is_what_the_loop_wrote() -> None:
    context = {
        "head": 'Ann <b>"Lee"</b> & co',
        "cells": ["<5", 12, 0.5, None, mark_safe("<em>safe</em>"), "it's"],
        "last": "<5",
    }
    loop = (
        '<tr><th scope="row">{{ head }}</th>{% for cell in cells %}<td>{{ cell }}</td>'
        "{% endfor %}<td>{{ last }}</td></tr>"
    )
    assert _render("{% table_row head cells last %}", **context) == _render(loop, **context)
    escaped = "&lt;b&gt;&quot;Lee&quot;&lt;/b&gt; &amp; co"
    assert escaped in _render("{% table_row head %}", **context)


def test_filters_format_a_cell_before_it_is_written() -> None:
    row = _render("{% table_row name mean|floatformat:1 rate %}", name="T", mean=2.25, rate="50%")
    assert row == '<tr><th scope="row">T</th><td>2.3</td><td>50%</td></tr>'
