"""The practice reports read snapshots: never more than five minutes old, worked out again by
the worker's round and on request, one page of therapists at a time (issue 16)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alliance.alerts import snapshots
from alliance.alerts.models import ReportSnapshot, ReportSnapshotRow
from alliance.alerts.snapshots import (
    ALERT_ACCURACY,
    PRACTICE_ALL,
    PRACTICE_CLOSED,
    REPORTS,
    SNAPSHOT_MAX_AGE,
    WORKER_REFRESH_AGE,
    report_snapshot,
    snapshot_refresh,
    snapshots_refresh_due,
)
from alliance.care.models import Episode
from alliance.care.services import episode_close, episode_open
from alliance.web.presenters.reports import THERAPISTS_PER_PAGE
from tests.alerts.test_reports import history
from tests.concurrency import at_once
from tests.conftest import Cast, make_user, signed_in

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"  # as the page writes its ranges of therapists


def _episodes_counted(html: str) -> list[str]:
    """The "Episodes" cell of each therapist's row in the first outcome table (the
    practice's row leaves it empty)."""
    table = html.split("<table>", 1)[1].split("</table>", 1)[0]
    return [cell for cell in re.findall(r"<td>([^<]*)</td></tr>", table) if cell]


def _kept_episodes(name: str = PRACTICE_ALL) -> int:
    """The PHQ-9 episodes counted in the kept report's rows."""
    rows = ReportSnapshotRow.objects.filter(snapshot__name=name).values_list("data", flat=True)
    return sum(row["outcomes"]["phq-9"]["episodes"] for row in rows if "phq-9" in row["outcomes"])


def _age(name: str, by: timedelta) -> None:
    ReportSnapshot.objects.filter(name=name).update(computed_at=timezone.now() - by)


def test_a_report_is_kept_and_shown_until_it_is_five_minutes_old(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])
    sam = signed_in(cast.sam)
    first = sam.get(reverse("practice_report")).content.decode()
    assert "Figures as of" in first and "never more than five minutes old" in first
    assert _episodes_counted(first) == ["&lt;5"]
    # Eve's episode gets two scores: the kept figures (a minute old) do not show it yet ...
    history(cast.eve_episode, cast.eve, cast.alice, "phq-9", [18, 6])
    _age(PRACTICE_ALL, timedelta(minutes=1))
    assert "2 of 2 check-ins that fell due" in sam.get(reverse("practice_report")).content.decode()
    assert _kept_episodes() == 1
    # ... and once they are five minutes old, the page works them out again before showing.
    _age(PRACTICE_ALL, SNAPSHOT_MAX_AGE)
    assert "4 of 4 check-ins that fell due" in sam.get(reverse("practice_report")).content.decode()
    snapshot = ReportSnapshot.objects.get(name=PRACTICE_ALL)
    assert _kept_episodes() == 2
    assert timezone.now() - snapshot.computed_at < timedelta(seconds=30)


def test_update_now_works_the_figures_out_and_keeps_the_scope(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])
    sam = signed_in(cast.sam)
    assert "No episode has two scores yet." in sam.get(
        reverse("practice_report") + "?scope=closed"
    ).content.decode("utf-8")
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    response = sam.post(reverse("practice_report"), {"scope": "closed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("practice_report") + "?scope=closed"
    html = sam.get(response["Location"]).content.decode()
    assert "No episode has two scores yet." not in html
    assert _episodes_counted(html) == ["&lt;5"]
    # The form on the page posts the scope it shows.
    assert '<input type="hidden" name="scope" value="closed">' in html


def test_update_now_on_the_alert_accuracy_page(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [8, 16, 17])
    sam = signed_in(cast.sam)
    assert "nothing to measure" in sam.get(reverse("alert_accuracy")).content.decode()
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    response = sam.post(reverse("alert_accuracy"))
    assert response.status_code == 302 and response["Location"] == reverse("alert_accuracy")
    html = sam.get(reverse("alert_accuracy")).content.decode()
    assert "nothing to measure" not in html and "Figures as of" in html


def test_the_workers_round_refreshes_reports_four_minutes_old() -> None:
    assert snapshots_refresh_due() == len(REPORTS)  # none kept yet: all worked out
    assert snapshots_refresh_due() == 0  # all fresh
    _age(PRACTICE_CLOSED, WORKER_REFRESH_AGE - timedelta(seconds=30))
    assert snapshots_refresh_due() == 0
    _age(PRACTICE_CLOSED, WORKER_REFRESH_AGE)
    before = ReportSnapshot.objects.get(name=PRACTICE_CLOSED).computed_at
    assert snapshots_refresh_due() == 1
    assert ReportSnapshot.objects.get(name=PRACTICE_CLOSED).computed_at > before
    # So a page in a practice with a worker finds its figures fresh and reads them as kept.
    kept = ReportSnapshot.objects.get(name=ALERT_ACCURACY).computed_at
    assert report_snapshot(ALERT_ACCURACY).computed_at == kept


def test_the_worker_runs_the_refresh_in_its_round(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("worker", "--once")
    assert "refresh_reports: 3 practice reports brought up to date" in capsys.readouterr().out
    assert set(ReportSnapshot.objects.values_list("name", flat=True)) == set(REPORTS)


def test_the_kept_figures_name_no_client(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    snapshots_refresh_due()
    kept = json.dumps(
        [
            *ReportSnapshot.objects.values_list("data", flat=True),
            *ReportSnapshotRow.objects.values_list("data", flat=True),
        ]
    )
    assert "Alice" in kept  # the therapist's name, as the page shows it
    for word in ("Dana", "dana@", "Eve", "eve@", "client_id", "episode_id"):
        assert word not in kept


def _therapists_with_scores(cast: Cast, count: int) -> list[Any]:
    therapists = []
    for n in range(count):
        therapist = make_user(f"t{n:02}@example.test", f"Therapist {n:02}", "therapist")
        client = make_user(f"c{n:02}@example.test", f"Client {n:02}", "client")
        episode = episode_open(
            actor=therapist, client=client, therapist=therapist, supervisor=cast.sam
        )
        history(episode, client, therapist, "phq-9", [20, 4 + n % 10])
        therapists.append(therapist)
    return therapists


def test_therapists_are_shown_a_page_at_a_time_with_totals_over_all(cast: Cast) -> None:
    count = THERAPISTS_PER_PAGE + 5
    _therapists_with_scores(cast, count)
    sam = signed_in(cast.sam)
    first = sam.get(reverse("practice_report")).content.decode()
    assert f"Therapists 1{DASH}{THERAPISTS_PER_PAGE} of {count}" in first
    assert "Therapist 00" in first and f"Therapist {THERAPISTS_PER_PAGE - 1:02}" in first
    assert f"Therapist {THERAPISTS_PER_PAGE:02}" not in first
    assert len(_episodes_counted(first)) == THERAPISTS_PER_PAGE
    assert "Page 1 of 2" in first
    second = sam.get(reverse("practice_report") + "?page=2").content.decode()
    assert f"Therapists {THERAPISTS_PER_PAGE + 1}{DASH}{count} of {count}" in second
    assert f"Therapist {THERAPISTS_PER_PAGE:02}" in second and "Therapist 00" not in second
    # Feedback and completion show the same therapists as the outcome table.
    completion = second.split('id="completion-heading"', 1)[1]
    assert "Therapist 00" not in completion and f"Therapist {count - 1:02}" in completion
    # The practice's row counts every therapist's episodes, on every page.
    totals = [re.findall(r"<strong>([^<]*)</strong>", page) for page in (first, second)]
    assert totals[0] == totals[1]
    assert sum(int(cell) for cell in totals[0] if cell != "&lt;5") == count
    assert f"{2 * count} of {2 * count} check-ins that fell due were completed" in second


def test_page_links_keep_the_scope_and_any_page_number_shows_a_page(cast: Cast) -> None:
    for therapist in _therapists_with_scores(cast, THERAPISTS_PER_PAGE + 1):
        for episode in Episode.objects.filter(therapist=therapist):
            episode_close(actor=therapist, episode=episode)
    sam = signed_in(cast.sam)
    closed = sam.get(reverse("practice_report") + "?scope=closed").content.decode()
    assert "?scope=closed&amp;page=2" in closed
    last = f"Therapists {THERAPISTS_PER_PAGE + 1}{DASH}"
    for page, shown in (
        ("x", f"Therapists 1{DASH}"),
        ("", f"Therapists 1{DASH}"),
        ("1\x00", f"Therapists 1{DASH}"),
        ("-1", last),
        ("999", last),
        ("2", last),
    ):
        response = sam.get(reverse("practice_report"), {"page": page})
        assert response.status_code == 200, page
        assert shown in response.content.decode(), page


def test_a_refresh_replaces_the_rows_and_a_page_never_mixes_two_refreshes(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _therapists_with_scores(cast, 3)
    first = snapshot_refresh(PRACTICE_ALL)
    second = snapshot_refresh(PRACTICE_ALL)
    assert second.generation == first.generation + 1 and second.pk == first.pk
    kept = ReportSnapshotRow.objects.filter(snapshot_id=second.pk)
    assert set(kept.values_list("generation", flat=True)) == {second.generation}
    assert sorted(kept.values_list("position", flat=True)) == [0, 1, 2]
    # A refresh commits between the page's read of the figures and of their rows: the
    # rows read first are gone, and the page reads both again.
    real = snapshots.report_snapshot
    calls = []

    def refreshed_meanwhile(name: str) -> Any:
        snapshot = real(name)
        calls.append(snapshot.generation)
        if len(calls) == 1:
            snapshot_refresh(name)
        return snapshot

    monkeypatch.setattr(snapshots, "report_snapshot", refreshed_meanwhile)
    snapshot, page = snapshots.report_page(PRACTICE_ALL, 1, THERAPISTS_PER_PAGE)
    assert calls == [second.generation, second.generation + 1]
    assert snapshot.generation == second.generation + 1
    assert [row["therapist"] for row in page.object_list] == [
        "Therapist 00",
        "Therapist 01",
        "Therapist 02",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_pages_and_workers_refreshing_at_once_keep_one_whole_report() -> None:
    """Two workers' rounds and pages with an old snapshot may work one report out at the
    same moment, on PostgreSQL where they really run side by side (the first of them also
    creates the snapshot's row): each finishes, and the report kept has one generation of
    rows, all of them."""
    supervisor = make_user("s-refresh@example.test", "Sue", "supervisor")
    for n in range(3):
        therapist = make_user(f"t-refresh{n}@example.test", f"Therapist {n}", "therapist")
        client = make_user(f"c-refresh{n}@example.test", f"Client {n}", "client")
        episode = episode_open(
            actor=therapist, client=client, therapist=therapist, supervisor=supervisor
        )
        history(episode, client, therapist, "phq-9", [20, 6])
    at_once(*[lambda: snapshot_refresh(PRACTICE_ALL)] * 6)
    kept = ReportSnapshot.objects.get(name=PRACTICE_ALL)
    assert kept.generation == 6
    rows = ReportSnapshotRow.objects.filter(snapshot=kept)
    assert sorted(rows.values_list("generation", "position")) == [(6, 0), (6, 1), (6, 2)]


def test_a_spanish_reader_reads_when_the_figures_were_worked_out(cast: Cast) -> None:
    _therapists_with_scores(cast, THERAPISTS_PER_PAGE + 1)
    cast.sam.language = "es"
    cast.sam.save(update_fields=["language"])
    html = signed_in(cast.sam).get(reverse("practice_report")).content.decode()
    assert "Cifras calculadas el" in html and "cinco minutos" in html
    assert "Actualizar ahora" in html and "Update now" not in html
    # The change categories head the columns in Spanish too.
    assert '<th scope="col">Mejoría fiable</th>' in html and "Reliably improved" not in html
    assert f"Terapeutas 1{DASH}{THERAPISTS_PER_PAGE} de {THERAPISTS_PER_PAGE + 1}" in html
    audit = signed_in(cast.sam).get(reverse("alert_accuracy")).content.decode()
    assert "Cifras calculadas el" in audit and "Figures as of" not in audit
