"""Panels: what one feature shows on another feature's page (issue 14, part 2).

The client record, the portal home and the progress pages each gather a few panels from
features that are not theirs — the plan, the exercises, the messages, the preferences,
the safety plan. Each feature's panels are plain functions in ``panels/<feature>.py``,
such as ``record_panel(*, viewer, episode) -> Panel | None``: the view calls them, so the
view sees every query its page runs, and the template only renders ``panel.template``
with ``panel.context`` (``{% panel item %}``, from the ``alliance`` tag library).

They live here, under ``web/presenters/``, rather than in ``web/<feature>/panels.py`` as
the issue first sketched: presenters are one package (see its docstring), and a panel is
a presenter of a part of a page, shared by several pages, so it is named after its
feature one level down. Unlike a page's presenter a panel takes the viewer, because
which panel someone sees depends on who they are; it does not decide that itself but
asks ``alliance.care.access`` (``audience``, ``may_*``) and returns None when there is
nothing for this viewer. The view has already decided whether the page may be seen and
written the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    """A template and the context it is rendered with (nothing else from the page)."""

    template: str
    context: Mapping[str, Any]


def shown(*panels: Panel | None) -> list[Panel]:
    """The panels there is something to show in, in the order given."""
    return [panel for panel in panels if panel is not None]
