from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.care.models import Episode, Session
from alliance.care.services import episode_close, session_schedule
from tests.conftest import Cast, signed_in


def test_caseload_lists_treated_and_supervised_clients(cast: Cast) -> None:
    session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=2)
    )
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert "Dana (they/them)" in page and "Eve" in page
    sam_page = signed_in(cast.sam).get(reverse("caseload")).content.decode()
    assert "Dana (they/them)" in sam_page and "Eve" not in sam_page
    assert "Dana" not in signed_in(cast.charlie).get(reverse("caseload")).content.decode()


def test_caseload_query_count_is_the_same_for_10_and_500_clients(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alliance.care.services import episode_open
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request
    from tests.conftest import make_user

    def count(page: int = 1) -> tuple[int, int]:
        client = signed_in(cast.alice)
        with CaptureQueriesContext(connection) as queries:
            text = client.get(reverse("caseload"), {"page": page}).content.decode()
        return len(queries), text.count("<tr")

    def add_clients(upto: int) -> None:
        for n in range(Episode.objects.filter(therapist=cast.alice).count(), upto):
            person = make_user(f"c{n}@example.test", f"Client {n}", "client")
            episode = episode_open(actor=cast.alice, client=person, therapist=cast.alice)
            session_schedule(actor=cast.alice, episode=episode, starts_at=timezone.now())
            if n % 50 == 0:
                for total in ([1] * 9, [2] * 8 + [1]):
                    administration = administration_request(
                        actor=cast.alice, episode=episode, instrument_id="phq-9"
                    )
                    response_submit(actor=person, administration=administration, answers=total)

    add_clients(10)
    small, small_rows = count()
    add_clients(500)
    large, large_rows = count()
    last, last_rows = count(page=10)
    # Header row + one per client; the large caseload in pages of 25.
    assert (small_rows, large_rows, last_rows) == (11, 26, 26)
    assert small == large == last


def test_opening_a_record_writes_a_viewed_event(cast: Cast) -> None:
    signed_in(cast.sam).get(reverse("client_record", args=[cast.dana.pk]))
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.actor_role, event.client_id) == (
        "viewed",
        cast.sam.pk,
        "supervisor",
        cast.dana.pk,
    )


def test_refused_record_writes_no_viewed_event(cast: Cast) -> None:
    client = signed_in(cast.charlie)
    before = AuditEvent.objects.count()
    client.get(reverse("client_record", args=[cast.dana.pk]))
    assert AuditEvent.objects.count() == before


def test_therapist_adds_a_session(cast: Cast) -> None:
    client = signed_in(cast.alice)
    when = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("session_add", args=[cast.dana_episode.pk]), {"starts_at": when})
    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.episode, session.number) == (cast.dana_episode, 1)
    page = client.get(reverse("client_record", args=[cast.dana.pk])).content.decode()
    assert "Session 1 is scheduled." in page


def test_bad_session_date_changes_nothing(cast: Cast) -> None:
    client = signed_in(cast.alice)
    for value in ("", "tomorrow", "1999-01-01T10:00", "2400-01-01T10:00"):
        response = client.post(
            reverse("session_add", args=[cast.dana_episode.pk]), {"starts_at": value}
        )
        assert response.status_code == 400
    assert not Session.objects.exists()


def test_out_of_order_session_shows_the_reason(cast: Cast) -> None:
    session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=5)
    )
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = signed_in(cast.alice).post(
        reverse("session_add", args=[cast.dana_episode.pk]), {"starts_at": when}
    )
    assert response.status_code == 400
    assert b"must start after session 1" in response.content
    assert Session.objects.count() == 1


def test_therapist_closes_an_episode_and_it_becomes_read_only(cast: Cast) -> None:
    client = signed_in(cast.alice)
    assert client.get(reverse("episode_close", args=[cast.dana_episode.pk])).status_code == 200
    response = client.post(reverse("episode_close", args=[cast.dana_episode.pk]))
    assert response.status_code == 302
    assert Episode.objects.get(pk=cast.dana_episode.pk).status == "closed"
    page = client.get(reverse("client_record", args=[cast.dana.pk])).content.decode()
    assert "closed: its record can be read but not changed" in page
    assert client.post(reverse("episode_close", args=[cast.dana_episode.pk])).status_code == 403
    assert client.get(reverse("session_add", args=[cast.dana_episode.pk])).status_code == 403


def test_supervisor_sees_no_write_buttons(cast: Cast) -> None:
    page = signed_in(cast.sam).get(reverse("client_record", args=[cast.dana.pk])).content.decode()
    assert reverse("session_add", args=[cast.dana_episode.pk]) not in page
    alice_page = (
        signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk])).content.decode()
    )
    assert reverse("session_add", args=[cast.dana_episode.pk]) in alice_page


def test_closed_episode_record_stays_readable_to_the_client(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    page = signed_in(cast.dana).get(reverse("portal_home")).content.decode()
    assert "no current course of care" in page


def test_schedule_change_updates_upcoming_check_ins(cast: Cast) -> None:
    from alliance.measures.models import Administration
    from alliance.measures.schedules import session_plan

    session_plan(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=2)
    )
    live = Administration.objects.filter(cancelled_at__isnull=True)
    assert sorted(live.values_list("instrument_id", "when")) == [
        ("gad-7", "before_session"),
        ("phq-9", "before_session"),
        ("session-feedback", "after_session"),
    ]
    client = signed_in(cast.alice)
    response = client.post(
        reverse("schedule_edit", args=[cast.dana_episode.pk]),
        {"before_session": ["phq-9"], "weekly": ["gad-2"], "client_sees_progress": "on"},
    )
    assert response.status_code == 302
    assert sorted(live.values_list("instrument_id", "when")) == [
        ("gad-2", "weekly"),
        ("phq-9", "before_session"),
    ]
    # Nothing is deleted: withdrawn check-ins are kept as cancelled.
    assert Administration.objects.filter(cancelled_at__isnull=False).count() == 2


def test_unticking_everything_is_a_valid_schedule(cast: Cast) -> None:
    response = signed_in(cast.alice).post(reverse("schedule_edit", args=[cast.dana_episode.pk]))
    assert response.status_code == 302
    from alliance.care.models import Episode
    from alliance.measures.models import CheckinSchedule

    schedule = CheckinSchedule.objects.get(episode=cast.dana_episode)
    assert (schedule.before_session, schedule.after_session, schedule.weekly) == ([], [], [])
    assert not Episode.objects.get(pk=cast.dana_episode.pk).client_sees_progress


def test_bad_schedule_input_changes_nothing(cast: Cast) -> None:
    response = signed_in(cast.alice).post(
        reverse("schedule_edit", args=[cast.dana_episode.pk]), {"before_session": ["nope"]}
    )
    assert response.status_code == 400
    from alliance.measures.models import CheckinSchedule

    schedule = CheckinSchedule.objects.get(episode=cast.dana_episode)
    assert schedule.before_session == ["phq-9", "gad-7"]


def test_caseload_orders_clients_by_need(cast: Cast) -> None:
    from alliance.care.services import episode_open
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request
    from tests.conftest import make_user

    fine = make_user("fine@example.test", "Aaron", "client")
    episode_open(actor=cast.alice, client=fine, therapist=cast.alice)
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id="phq-9"
    )
    response_submit(actor=cast.eve, administration=administration, answers=[1] * 9)
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    # Urgent first, then the rest by name.
    assert page.index("Eve") < page.index("Aaron") < page.index("Dana (they/them)")
    assert "Urgent: risk" in page
    assert "PHQ-9 9" in page


def test_caseload_pages_keep_need_order_across_the_whole_caseload(cast: Cast) -> None:
    from alliance.care.services import episode_open
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request
    from tests.conftest import make_user

    for n in range(60):
        person = make_user(f"p{n}@example.test", f"Aa {n:02}", "client")
        episode_open(actor=cast.alice, client=person, therapist=cast.alice)
    ended = make_user("ended@example.test", "Aaa ended", "client")
    episode_close(
        actor=cast.alice, episode=episode_open(actor=cast.alice, client=ended, therapist=cast.alice)
    )
    zoe = make_user("zoe@example.test", "Zoe", "client")
    episode = episode_open(actor=cast.alice, client=zoe, therapist=cast.alice)
    administration = administration_request(
        actor=cast.alice, episode=episode, instrument_id="phq-9"
    )
    response_submit(actor=zoe, administration=administration, answers=[1] * 9)
    client = signed_in(cast.alice)
    first = client.get(reverse("caseload")).content.decode()
    # Zoe's risk answer puts her first of 64, though her name sorts last.
    assert first.index("Zoe") < first.index("Aa 00") < first.index("Aa 23")
    assert "Aa 24" not in first and "Aaa ended" not in first
    assert "Showing 1\N{EN DASH}25 of 64." in first
    assert "1 urgent (risk)" in first
    last = client.get(reverse("caseload"), {"page": 3}).content.decode()
    assert "Showing 51\N{EN DASH}64 of 64." in last
    # The closed episode comes after every open one.
    assert last.index("Aa 59") < last.index("Eve") < last.index("Aaa ended")
    assert "Zoe" not in last
    # A page number that is not one, or is too large, shows the nearest page.
    for asked, shown in (("x", "1\N{EN DASH}25"), (99, "51\N{EN DASH}64")):
        page = client.get(reverse("caseload"), {"page": asked}).content.decode()
        assert f"Showing {shown} of 64." in page


def test_record_shows_each_episodes_schedule_and_opening_it_writes_none(cast: Cast) -> None:
    from alliance.care.services import episode_open
    from alliance.measures.models import CheckinSchedule

    closed = episode_close(actor=cast.alice, episode=cast.dana_episode)
    current = episode_open(actor=cast.alice, client=cast.dana, therapist=cast.alice)
    signed_in(cast.alice).post(
        reverse("schedule_edit", args=[current.pk]),
        {"weekly": ["gad-2"], "client_sees_progress": "on"},
    )
    page = signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    text = page.content.decode()
    # The current episode asks weekly only; the closed one never had its schedule changed
    # and shows the defaults (before and after each session).
    assert text.count("every week") == 1
    assert text.count("before each session") == 1
    assert not CheckinSchedule.objects.filter(episode=closed).exists()


def _add_client(cast: Cast, therapist: Any, email: str, name: str) -> Any:
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    person = make_user(email, name, "client")
    episode_open(actor=therapist, client=person, therapist=therapist)
    return person


SAME_NAME = "Same name as another of your clients"


def test_clients_with_the_same_name_are_marked_in_the_caseload(cast: Cast) -> None:
    _add_client(cast, cast.alice, "dana.two@example.test", "dana\u200b")
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert page.count(SAME_NAME) == 2  # both rows, each with its address to tell them apart
    assert "dana@example.test" in page and "dana.two@example.test" in page
    assert "eve@example.test" not in page  # no other address is shown
    # Sam supervises only one of them: nothing to confuse.
    assert SAME_NAME not in signed_in(cast.sam).get(reverse("caseload")).content.decode()


def test_another_therapists_client_of_the_same_name_is_not_revealed(cast: Cast) -> None:
    _add_client(cast, cast.charlie, "other.dana@example.test", "Dana")
    for person in (cast.alice, cast.charlie):
        page = signed_in(person).get(reverse("caseload")).content.decode()
        assert SAME_NAME not in page
    record = signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    assert SAME_NAME not in record.content.decode()


def test_the_record_of_a_client_with_the_same_name_says_so(cast: Cast) -> None:
    _add_client(cast, cast.alice, "dana.two@example.test", "DANA")
    page = signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    text = page.content.decode()
    assert SAME_NAME in text and "dana@example.test" in text
    assert "dana.two@example.test" not in text  # only this client's own address
    eve = signed_in(cast.alice).get(reverse("client_record", args=[cast.eve.pk]))
    assert SAME_NAME not in eve.content.decode()


# -- a questionnaire the client cannot answer in their language --------------------------


def test_request_form_marks_what_the_client_cannot_answer_in_their_language(cast: Cast) -> None:
    client = signed_in(cast.alice)
    page = client.get(reverse("questionnaire_request", args=[cast.eve_episode.pk])).content
    text = page.decode()
    assert "PTSD Checklist for DSM-5 (PCL-5) — English only" in text
    assert "Patient Health Questionnaire-15 (PHQ-15) — English only" in text
    assert "Generalized Anxiety Disorder 7-item (GAD-7) — English only" not in text
    assert "have no version in the client's language (Spanish)" in text
    assert 'name="in_english"' in text
    # A client who reads English can answer everything: no marks, no extra step.
    dana = client.get(reverse("questionnaire_request", args=[cast.dana_episode.pk])).content
    assert "English only" not in dana.decode() and 'name="in_english"' not in dana.decode()


def test_asking_for_an_english_only_questionnaire_needs_a_confirmation(cast: Cast) -> None:
    from alliance.measures.models import Administration

    client = signed_in(cast.alice)
    url = reverse("questionnaire_request", args=[cast.eve_episode.pk])
    response = client.post(url, {"instrument": "pcl-5"})
    assert response.status_code == 400
    assert "the client would answer in English" in response.content.decode()
    assert not Administration.objects.filter(instrument_id="pcl-5").exists()
    response = client.post(url, {"instrument": "pcl-5", "in_english": "on"})
    assert response.status_code == 302
    assert Administration.objects.filter(instrument_id="pcl-5").count() == 1
    # In the client's language: no question asked.
    assert client.post(url, {"instrument": "gad-7"}).status_code == 302


def test_scheduling_an_english_only_questionnaire_needs_a_confirmation(cast: Cast) -> None:
    from alliance.measures.models import CheckinSchedule

    client = signed_in(cast.alice)
    url = reverse("schedule_edit", args=[cast.eve_episode.pk])
    assert "PTSD Checklist for DSM-5 (PCL-5) — English only" in client.get(url).content.decode()
    wanted = {"before_session": ["phq-9", "gad-7"], "after_session": ["session-feedback"]}
    response = client.post(url, {**wanted, "weekly": ["pcl-5"]})
    assert response.status_code == 400
    assert "PTSD Checklist for DSM-5 (PCL-5): no version" in response.content.decode()
    assert CheckinSchedule.objects.get(episode=cast.eve_episode).weekly == []
    response = client.post(url, {**wanted, "weekly": ["pcl-5"], "in_english": "on"})
    assert response.status_code == 302
    assert CheckinSchedule.objects.get(episode=cast.eve_episode).weekly == ["pcl-5"]
    # Saved once, it is not questioned again at every later save.
    response = client.post(url, {**wanted, "weekly": ["pcl-5"], "client_sees_progress": "on"})
    assert response.status_code == 302


def test_the_default_schedule_is_all_in_spanish_for_a_spanish_speaking_client(cast: Cast) -> None:
    response = signed_in(cast.alice).post(
        reverse("schedule_edit", args=[cast.eve_episode.pk]),
        {"before_session": ["phq-9", "gad-7"], "after_session": ["session-feedback"]},
    )
    assert response.status_code == 302


def _scores(cast: Cast, instrument_id: str, answers: list[list[int]], start_days: int) -> None:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    for n, given in enumerate(answers):
        administration = administration_request(
            actor=cast.alice, episode=cast.dana_episode, instrument_id=instrument_id
        )
        response_submit(
            actor=cast.dana,
            administration=administration,
            answers=given,
            submitted_at=timezone.now() - timedelta(days=start_days - 7 * n, hours=n),
        )


def _dana_row(cast: Cast) -> str:
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    start = page.index("Dana (they/them)")
    return page[start : page.index("</tr>", start)]


def test_caseload_shows_each_scheduled_measure_with_its_change_in_words(cast: Cast) -> None:
    # The PHQ-9 jumped from 4 to 12; the GAD-7, answered last, moved from 5 to 7.
    _scores(cast, "phq-9", [[1, 1, 1, 1, 0, 0, 0, 0, 0], [2, 2, 2, 2, 1, 1, 1, 1, 0]], 14)
    _scores(cast, "gad-7", [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]], 13)
    row = _dana_row(cast)
    assert "PHQ-9 12" in row and "GAD-7 7" in row
    assert "↑8 since intake: reliably worse" in row
    assert "↑2 since intake: worse" in row
    assert "nothing flagged" not in row


def test_caseload_says_better_when_a_symptom_score_falls(cast: Cast) -> None:
    _scores(cast, "phq-9", [[3, 3, 3, 3, 2, 2, 2, 2, 0], [1, 1, 1, 1, 1, 1, 1, 1, 0]], 14)
    row = _dana_row(cast)
    assert "PHQ-9 8" in row
    assert "↓12 since intake: recovered" in row
    assert "worse" not in row


def test_caseload_flags_a_reliable_worsening_since_the_last_check_in(cast: Cast) -> None:
    _scores(
        cast,
        "phq-9",
        [[2, 2, 2, 2, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0, 0], [2, 2, 2, 2, 2, 2, 0, 0, 0]],
        21,
    )
    row = _dana_row(cast)
    # 8 at intake, 3, then 12: reliably worse since last time (+9), not against intake (+4).
    assert "Reliably worse since last time: PHQ-9 (3 → 12)" in row
    assert "↑4 since intake: worse" in row


def test_caseload_leaves_out_session_feedback_and_unscheduled_measures(cast: Cast) -> None:
    from alliance.measures.schedules import schedule_update

    _scores(cast, "phq-9", [[1] * 8 + [0]], 7)
    _scores(cast, "session-feedback", [[8, 8, 8, 8, 8]], 6)
    row = _dana_row(cast)
    assert "PHQ-9 8" in row and "(first score)" in row
    assert "SESSION-FEEDBACK" not in row
    schedule_update(
        actor=cast.alice,
        episode=cast.dana_episode,
        before_session=["gad-7"],
        after_session=[],
        weekly=[],
        client_sees_progress=True,
    )
    assert "PHQ-9" not in _dana_row(cast)


def test_a_spanish_speaking_therapist_reads_the_change_in_spanish(cast: Cast) -> None:
    cast.alice.language = "es"
    cast.alice.save()
    _scores(cast, "phq-9", [[1, 1, 1, 1, 0, 0, 0, 0, 0], [2, 2, 2, 2, 1, 1, 1, 1, 0]], 14)
    row = _dana_row(cast)
    assert "↑8 desde el inicio: peor de forma fiable" in row
    assert "Peor de forma fiable desde la última vez: PHQ-9 (4 → 12)" in row


def test_a_spanish_speaking_clinician_reads_our_own_forms_name_in_spanish(cast: Cast) -> None:
    from alliance.accounts.models import User

    User.objects.filter(pk=cast.alice.pk).update(language="es")
    alice = signed_in(User.objects.get(pk=cast.alice.pk))
    for name in ("questionnaire_request", "schedule_edit"):
        page = alice.get(reverse(name, args=[cast.eve_episode.pk])).content.decode()
        assert "Opinión sobre la sesión (Alliance, no es un instrumento validado)" in page
        # A published instrument keeps its published name.
        assert "Patient Health Questionnaire-9 (PHQ-9)" in page
        assert "PTSD Checklist for DSM-5 (PCL-5) — solo en inglés" in page


def test_caseload_does_not_say_recovered_while_a_risk_answer_stands(cast: Cast) -> None:
    from alliance.alerts.models import Alert
    from alliance.alerts.services import alert_acknowledge

    # 20 at intake, then 8 with item 9 answered "several days".
    _scores(cast, "phq-9", [[3, 3, 3, 3, 2, 2, 2, 2, 0], [3, 3, 1, 0, 0, 0, 0, 0, 1]], 14)
    row = _dana_row(cast)
    assert "Urgent: risk" in row
    assert "recovered" not in row
    assert "↓12 since intake: reliably better" in row
    alert_acknowledge(actor=cast.alice, alert=Alert.objects.get(kind="risk"), note="Called.")
    row = _dana_row(cast)
    assert "Urgent: risk" not in row and "nothing flagged" not in row
    assert "Risk answer of" in row and "still stands" in row
    assert "recovered" not in row


def test_the_supervised_part_pages_on_its_own(cast: Cast) -> None:
    """The supervised clients are counted and paged apart from those treated: their own
    "Showing" line, their own page number, a stale page number giving the nearest page."""
    from alliance.care.models import Episode
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    for n in range(30):
        person = make_user(f"sup{n}@example.test", f"Sup {n:02}", "client")
        episode_open(actor=cast.charlie, client=person, therapist=cast.charlie, supervisor=cast.sam)
    total = Episode.objects.filter(supervisor=cast.sam).count()
    assert total > 25
    client = signed_in(cast.sam)
    first = client.get(reverse("caseload")).content.decode()
    assert f"Showing 1\N{EN DASH}25 of {total}." in first
    assert f"{total} with nothing flagged" in first
    assert "Sup 00" in first and "Sup 29" not in first
    for asked in (2, 99):
        last = client.get(reverse("caseload"), {"supervising_page": asked}).content.decode()
        assert f"Showing 26\N{EN DASH}{total} of {total}." in last
        assert "Sup 29" in last and "Sup 00" not in last
    stale = client.get(reverse("caseload"), {"supervising_page": "abc"}).content.decode()
    assert "Sup 00" in stale
    # Charlie treats the same clients: his part pages them the same way, his own count.
    treating = signed_in(cast.charlie).get(reverse("caseload")).content.decode()
    assert "Showing 1\N{EN DASH}25 of " in treating and "Sup 00" in treating


def test_namesakes_are_answered_for_the_clients_asked_about(cast: Cast) -> None:
    from alliance.care.selectors import clients_sharing_a_name

    other = _add_client(cast, cast.alice, "dana.two@example.test", "DANA")
    assert clients_sharing_a_name(cast.alice, [cast.dana.pk]) == {cast.dana.pk}
    assert clients_sharing_a_name(cast.alice, [cast.dana.pk, other.pk, cast.eve.pk]) == {
        cast.dana.pk,
        other.pk,
    }
    assert clients_sharing_a_name(cast.alice, [cast.eve.pk]) == frozenset()
    # Sam supervises only Dana: to him she has no namesake.
    assert clients_sharing_a_name(cast.sam, [cast.dana.pk]) == frozenset()
