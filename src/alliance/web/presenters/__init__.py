"""Presenters: plain functions that turn rows into what a template shows (STYLE.md 11).

They live here, in one package beside ``web/views/`` and named after the view module they
serve (``views/progress.py`` → ``presenters/progress.py``), rather than inside each
feature, because a page is the unit they serve: a reader of a view finds its presenter by
the same name one folder over, and shared pieces (``charts.chart_with_legend``) have one
obvious home. A presenter takes plain data — users, episodes, rows a selector returned —
never the request, and returns dataclasses or dicts; it neither decides access nor writes
the audit trail, which stay in the view where a reader sees them.

``panels/`` holds what one feature shows on another feature's page (the plan on the
client record, the messages card on the portal home…), one module per feature: a panel
takes the viewer and asks the access module which panel they see (its docstring says
why that is not deciding access).
"""
