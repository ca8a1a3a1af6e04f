"""Progress pages: the clinician's charts with reliable change; the client's own, in plain words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.care.models import Episode
from alliance.care.services import session_schedule
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, Response
from alliance.measures.services import administration_request
from tests.conftest import Cast

START = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


def phq9(total: int) -> list[int]:
    """PHQ-9 answers adding up to ``total``, item 9 (self-harm) always 0 so no alert is raised."""
    assert 0 <= total <= 24
    answers = [min(3, max(0, total - 3 * i)) for i in range(8)]
    return [*answers, 0]


def gad7(total: int) -> list[int]:
    return [min(3, max(0, total - 3 * i)) for i in range(7)]


def phq15(total: int) -> list[int]:
    return [min(2, max(0, total - 2 * i)) for i in range(15)]


def session_feedback(total: int) -> dict[str, Any]:
    items = ("sf-bond", "sf-goals", "sf-approach", "sf-respect", "sf-overall")
    return {link: min(10, max(0, total - 10 * i)) for i, link in enumerate(items)}


ANSWERS: dict[str, Callable[[int], Any]] = {
    "phq-9": phq9,
    "gad-7": gad7,
    "phq-15": phq15,
    "session-feedback": session_feedback,
}


def submit(episode: Episode, instrument_id: str, total: int, when: datetime) -> Response:
    administration = administration_request(
        actor=episode.therapist, episode=episode, instrument_id=instrument_id, created_at=when
    )
    response = response_submit(
        actor=episode.client,
        administration=administration,
        answers=ANSWERS[instrument_id](total),
        submitted_at=when,
    )
    assert response.total == total
    return response


def submit_series(episode: Episode, instrument_id: str, totals: list[int]) -> list[Response]:
    return [
        submit(episode, instrument_id, total, START + timedelta(weeks=week))
        for week, total in enumerate(totals)
    ]


def page(user: Any, name: str, **kwargs: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name, kwargs=kwargs or None))
    assert response.status_code == 200
    return response.content.decode()


def clinician_page(cast: Cast, user: Any = None) -> str:
    return page(user or cast.alice, "client_progress", client_id=cast.dana.pk)


def table_cells(html: str) -> list[str]:
    return re.findall(r"<td>([^<]*)</td>", html)


# The clinician's view


def test_treating_therapist_sees_the_scores_in_a_table_and_the_reliable_change(
    cast: Cast,
) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    html = clinician_page(cast)
    assert "Patient Health Questionnaire-9 (PHQ-9)" in html
    assert "<svg" in html
    assert 'role="img"' in html
    cells = table_cells(html)
    # Session, total, band, change from intake: one row per score.
    assert cells == [
        "—", "20", "Severe", "intake",
        "—", "16", "Moderately severe", "\u22124",
        "—", "12", "Moderate", "\u22128",
    ]  # fmt: skip
    assert "Reliable change since intake: reliably improved" in html
    assert "20 to 12, \u22128 points" in html
    assert "6 points or more" in html


def test_supervisor_sees_the_progress_of_a_client_they_supervise(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    html = clinician_page(cast, cast.sam)
    assert "reliably improved" in html
    assert "<td>16</td>" in html


def test_recovery_is_named_when_scores_leave_the_clinical_range(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [18, 8])
    assert "Reliable change since intake: recovered" in clinician_page(cast)


def test_deterioration_is_named(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [8, 15])
    html = clinician_page(cast)
    assert "Reliable change since intake: reliably deteriorated" in html
    assert "<td>+7</td>" in html


def test_a_single_score_has_no_change_yet(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [14])
    assert "needs a second score" in clinician_page(cast)


def test_chart_shows_bands_and_the_clinical_cutoff(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    html = clinician_page(cast)
    assert html.count('class="chart-point"') == 3
    assert html.count('class="chart-band"') == 5
    assert "Clinical cut-off (10)" in html
    # The key is page text, so it keeps its size when the chart shrinks on a phone.
    assert '<ul class="chart-legend"' in html
    # The line, five bands, the cut-off and the expected course (the intake is clinical).
    assert html.count('class="chart-swatch"') == 8
    assert "Moderate (10\N{EN DASH}14)" in html


def test_instrument_without_norms_says_reliable_change_is_not_available(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-15", [12, 6])
    html = clinician_page(cast)
    assert "Reliable change since intake: not available" in html
    assert "<td>\u22126</td>" in html


def test_session_feedback_is_read_against_the_clients_own_baseline(cast: Cast) -> None:
    submit_series(cast.dana_episode, "session-feedback", [40, 44, 42, 30])
    html = clinician_page(cast)
    assert "NOT a validated instrument" in html
    assert "Baseline (mean of the first 3 scores ± 1 SD): 42 ± 2." in html
    assert 'class="chart-baseline"' in html
    assert "Reliable change since intake" not in html


def test_session_feedback_baseline_waits_for_three_scores(cast: Cast) -> None:
    submit_series(cast.dana_episode, "session-feedback", [40, 44])
    html = clinician_page(cast)
    assert "The baseline is drawn once there are 3 scores." in html
    assert 'class="chart-baseline"' not in html


def test_outcome_measures_come_first_and_session_feedback_last(cast: Cast) -> None:
    submit_series(cast.dana_episode, "session-feedback", [40])
    submit_series(cast.dana_episode, "gad-7", [12])
    submit_series(cast.dana_episode, "phq-9", [14])
    html = clinician_page(cast)
    positions = [
        html.index(f'<h3 id="chart-{cast.dana_episode.pk}-{instrument}-heading"')
        for instrument in ("phq-9", "gad-7", "session-feedback")
    ]
    assert positions == sorted(positions)


def link_to_sessions(responses: list[Response]) -> None:
    """Each check-in belongs to the next session, numbered 1, 2, 3…"""
    for number, response in enumerate(responses, start=1):
        session = session_schedule(
            actor=response.episode.therapist,
            episode=response.episode,
            starts_at=response.submitted_at + timedelta(hours=1),
        )
        assert session.number == number
        Administration.objects.filter(pk=response.administration_id).update(session=session)


def test_session_numbers_are_shown_where_the_check_in_belongs_to_a_session(cast: Cast) -> None:
    link_to_sessions(submit_series(cast.dana_episode, "phq-9", [20, 16]))
    html = clinician_page(cast)
    assert table_cells(html)[0:2] == ["1", "20"]
    assert "<title>Session 2, " in html


def test_only_this_clients_scores_are_shown(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16])
    submit_series(cast.eve_episode, "phq-9", [7, 3])
    html = clinician_page(cast)
    assert "<td>7</td>" not in html
    assert "<td>3</td>" not in html


def test_clinician_is_told_when_the_client_does_not_see_the_charts(cast: Cast) -> None:
    Episode.objects.filter(pk=cast.dana_episode.pk).update(client_sees_progress=False)
    assert "shows no charts for this episode" in clinician_page(cast)


def test_opening_progress_is_audited(cast: Cast) -> None:
    clinician_page(cast, cast.sam)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id) == ("viewed", cast.sam.pk, cast.dana.pk)


@pytest.mark.parametrize("who", ["charlie", "eve", "dana", "ada"])
def test_nobody_else_sees_a_clients_progress(cast: Cast, who: str) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16])
    client = Client()
    client.force_login(getattr(cast, who))
    response = client.get(reverse("client_progress", kwargs={"client_id": cast.dana.pk}))
    assert response.status_code == 404
    assert b"Dana" not in response.content
    assert not AuditEvent.objects.filter(action="viewed", actor_id=getattr(cast, who).pk).exists()


def test_anonymous_visitor_is_sent_to_sign_in(cast: Cast) -> None:
    response = Client().get(reverse("client_progress", kwargs={"client_id": cast.dana.pk}))
    assert response.status_code == 302


def test_progress_page_rejects_post(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.post(reverse("client_progress", kwargs={"client_id": cast.dana.pk}))
    assert response.status_code == 405


def queries_for_page(user: Any, url: str) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_scores(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    submit_series(cast.dana_episode, "session-feedback", [40, 42, 44])
    url = reverse("client_progress", kwargs={"client_id": cast.dana.pk})
    few = queries_for_page(cast.alice, url)
    submit_series(cast.dana_episode, "phq-9", [(week * 7) % 24 for week in range(27)])
    submit_series(cast.dana_episode, "session-feedback", [30 + week % 20 for week in range(27)])
    assert Response.objects.filter(episode=cast.dana_episode).count() == 60
    assert queries_for_page(cast.alice, url) == few


# The client's own view


def test_client_sees_her_own_progress_in_plain_words(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    html = page(cast.dana, "my_progress")
    assert "Your progress" in html
    assert "<svg" in html
    assert "Lower scores mean fewer difficulties." in html
    assert "Your scores show a real improvement since you started." in html
    assert table_cells(html) == ["20", "Severe", "16", "Moderately severe", "12", "Moderate"]
    for clinical in ("reliably", "Reliable change", "recovered", "Clinical cut-off", "intake"):
        assert clinical not in html


@pytest.mark.parametrize(
    ("totals", "sentence"),
    [
        (
            [18, 8],
            "Your scores have moved into the range most people without these difficulties report.",
        ),
        ([14, 12], "Your scores have stayed about the same so far."),
        (
            [8, 15],
            "Your scores suggest things have been harder lately. "
            "It may help to talk about this with your therapist.",
        ),
    ],
)
def test_client_reads_change_in_plain_words(cast: Cast, totals: list[int], sentence: str) -> None:
    submit_series(cast.dana_episode, "phq-9", totals)
    html = page(cast.dana, "my_progress")
    assert sentence in html
    assert "deteriorated" not in html


def test_client_sees_session_numbers_where_they_are_known(cast: Cast) -> None:
    link_to_sessions(submit_series(cast.dana_episode, "phq-9", [20, 16]))
    html = page(cast.dana, "my_progress")
    assert table_cells(html) == ["1", "20", "Severe", "2", "16", "Moderately severe"]
    assert '<th scope="col">Session</th>' in html


def test_client_sees_her_session_feedback_against_her_first_ratings(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [14])
    submit_series(cast.dana_episode, "session-feedback", [40, 44, 42, 30])
    html = page(cast.dana, "my_progress")
    assert "Your feedback on your sessions" in html
    assert "Higher ratings mean a session felt more helpful to you." in html
    assert 'class="chart-baseline"' in html
    assert html.index("Mood check-in") < html.index("Your feedback on your")
    assert "Patient Health Questionnaire-9" not in html


def test_spanish_client_reads_her_progress_in_spanish(cast: Cast) -> None:
    submit_series(cast.eve_episode, "phq-9", [12, 7])
    client = Client()
    client.force_login(cast.eve)
    response = client.get(reverse("my_progress"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "es"
    html = response.content.decode()
    assert table_cells(html) == ["12", "Moderada", "7", "Leve"]
    assert "Moderada (10\N{EN DASH}14)" in html  # the band in the chart's legend
    assert "Moderate" not in html


def test_client_does_not_see_another_clients_scores(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16])
    submit_series(cast.eve_episode, "phq-9", [7, 3])
    html = page(cast.eve, "my_progress")
    assert table_cells(html) == ["7", "Leve", "3", "Mínima"]
    assert "Dana" not in html


def test_no_chart_when_the_therapist_goes_through_progress_in_session(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    Episode.objects.filter(pk=cast.dana_episode.pk).update(client_sees_progress=False)
    html = page(cast.dana, "my_progress")
    assert "Your therapist will go through your progress with you in session." in html
    assert "<svg" not in html
    assert "<table" not in html
    assert "<td>16</td>" not in html


def test_client_with_no_check_ins_yet_is_told_kindly(cast: Cast) -> None:
    html = page(cast.dana, "my_progress")
    assert "Your progress will appear here after your first check-in." in html
    assert "<svg" not in html


def test_client_opening_her_progress_is_audited(cast: Cast) -> None:
    page(cast.dana, "my_progress")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id) == ("viewed", cast.dana.pk, cast.dana.pk)


@pytest.mark.parametrize("who", ["alice", "sam", "charlie", "ada"])
def test_staff_have_no_client_progress_page(cast: Cast, who: str) -> None:
    client = Client()
    client.force_login(getattr(cast, who))
    assert client.get(reverse("my_progress")).status_code == 404


def test_client_progress_page_rejects_post(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    assert client.post(reverse("my_progress")).status_code == 405


def test_client_query_count_does_not_grow_with_the_number_of_scores(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [20, 16, 12])
    few = queries_for_page(cast.dana, reverse("my_progress"))
    submit_series(cast.dana_episode, "phq-9", [(week * 7) % 24 for week in range(27)])
    assert queries_for_page(cast.dana, reverse("my_progress")) == few


def test_clinician_chart_draws_the_expected_course_for_a_clinical_intake(cast: Cast) -> None:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    for total in ([3] * 6 + [2, 0, 0], [2] * 8 + [0]):  # intake 20, then 16
        administration = administration_request(
            actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
        )
        response_submit(actor=cast.dana, administration=administration, answers=total)
    client = Client()
    client.force_login(cast.alice)
    page = client.get(reverse("client_progress", args=[cast.dana.pk])).content.decode()
    assert "Expected course for this intake" in page
    client.force_login(cast.dana)
    assert "Expected course" not in client.get(reverse("my_progress")).content.decode()


def test_no_expected_course_below_the_cutoff_nor_for_measures_the_rule_does_not_cover(
    cast: Cast,
) -> None:
    submit_series(cast.dana_episode, "phq-9", [6, 8, 7])  # intake under the cut-off (10)
    submit_series(cast.dana_episode, "session-feedback", [40, 42, 44])
    html = clinician_page(cast)
    assert html.count('class="chart-line"') == 2  # both charts are drawn…
    assert "chart-expected" not in html  # …with no expected course on either
    assert "Expected course" not in html


# After a risk answer: no mixed messages (README, "Clinical decisions")


def risk_checkin(episode: Episode, when: datetime) -> Response:
    """A PHQ-9 of 8 (out of the clinical range) whose item 9 says "several days"."""
    administration = administration_request(
        actor=episode.therapist, episode=episode, instrument_id="phq-9", created_at=when
    )
    return response_submit(
        actor=episode.client,
        administration=administration,
        answers=[3, 3, 1, 0, 0, 0, 0, 0, 1],
        submitted_at=when,
    )


HEALTHY_RANGE = "the range most people without these difficulties report"


def test_client_is_not_told_her_scores_are_in_the_healthy_range_after_a_risk_answer(
    cast: Cast,
) -> None:
    submit_series(cast.dana_episode, "phq-9", [18])
    risk_checkin(cast.dana_episode, START + timedelta(weeks=1))
    html = page(cast.dana, "my_progress")
    assert HEALTHY_RANGE not in html
    assert "one of your recent answers said things have been very hard" in html
    assert reverse("my_safety_plan") in html


def test_an_acknowledged_risk_alert_still_counts_until_it_is_resolved(cast: Cast) -> None:
    from alliance.alerts.models import Alert
    from alliance.alerts.services import alert_acknowledge, alert_resolve

    submit_series(cast.dana_episode, "phq-9", [18])
    risk_checkin(cast.dana_episode, START + timedelta(weeks=1))
    alert = Alert.objects.get(kind="risk")
    alert_acknowledge(actor=cast.alice, alert=alert, note="Called; plan reviewed.")
    assert HEALTHY_RANGE not in page(cast.dana, "my_progress")
    alert_resolve(actor=cast.alice, alert=alert, note="Risk assessed.")
    # Resolved, but the latest PHQ-9 still carries the risk answer.
    assert HEALTHY_RANGE not in page(cast.dana, "my_progress")
    # A later check-in without it, after the follow-up: the plain sentence again.
    submit(cast.dana_episode, "phq-9", 7, START + timedelta(weeks=2))
    assert HEALTHY_RANGE in page(cast.dana, "my_progress")


def test_clinician_chart_does_not_say_recovered_without_the_risk_answer(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [18])
    risk_checkin(cast.dana_episode, START + timedelta(weeks=1))
    html = clinician_page(cast)
    assert "Reliable change since intake: recovered" in html
    note = "A risk item was answered at or above its threshold on"
    assert note in html
    # The risk note comes first, on each outcome measure's chart.
    assert html.index(note) < html.index("Reliable change since intake: recovered")
    assert "a score out of the clinical range does not mean the risk has passed" in html


def test_no_risk_note_without_a_current_risk_answer(cast: Cast) -> None:
    submit_series(cast.dana_episode, "phq-9", [18, 8])
    assert "A risk item was answered" not in clinician_page(cast)
    assert HEALTHY_RANGE in page(cast.dana, "my_progress")


def test_a_partly_or_no_reply_to_a_summary_is_named_not_scored(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alliance.care.services import session_schedule
    from alliance.notes.services import summary_reply, summary_sign

    replies = {1: "partly", 2: "yes", 3: "no"}
    for number, recognised in replies.items():
        session = session_schedule(
            actor=cast.alice,
            episode=cast.dana_episode,
            starts_at=timezone.now() - timedelta(days=10 - number),
        )
        summary = summary_sign(actor=cast.alice, session=session, parts={"decided": "x"})
        summary_reply(actor=cast.dana, summary=summary, recognised=recognised)
    page = clinician_page(cast)
    assert "The client said the summary of session 1 was only partly how they remember it." in page
    assert "The client said the summary of session 3 was not how they remember it." in page
    assert "session 2" not in page
    assert "The client said the summary" in clinician_page(cast, cast.sam)
