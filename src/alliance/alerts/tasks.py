"""Alert tasks run by `alliance worker`."""

from __future__ import annotations

from django_tasks import task

from alliance.alerts.snapshots import snapshots_refresh_due


@task()
def refresh_reports() -> int:
    """The practice reports' snapshots that are four minutes old worked out again, so that
    their pages never have to (``alliance.alerts.snapshots``). Returns how many."""
    return snapshots_refresh_due()
