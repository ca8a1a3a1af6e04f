"""Preferences, agenda and cultural profile: the services and the sharing rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care import access
from alliance.care.services import episode_close, session_schedule
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.preferences.selectors import (
    agenda_for_next_session,
    cultural_profile_for,
    latest_preferences,
    preference_lines,
    preferences_for,
)
from alliance.preferences.services import (
    agenda_item_add,
    agenda_item_mark_discussed,
    agenda_item_withdraw,
    cultural_profile_save,
    preferences_save,
)
from tests.conftest import Cast
from tests.sentinel import run_on_database_file

pytestmark = pytest.mark.django_db


def save_prefs(cast: Cast, **answers: str) -> TreatmentPreferences:
    return preferences_save(
        actor=cast.dana, episode=cast.dana_episode, answers=answers, hopes="Sleep better"
    )


def test_every_save_is_kept_and_the_latest_is_shown(cast: Cast) -> None:
    first = save_prefs(cast, structure="left")
    second = save_prefs(cast, structure="right", style="between")
    assert (first.version, second.version) == (1, 2)
    assert TreatmentPreferences.objects.count() == 2
    first.refresh_from_db()
    assert first.answers == {"structure": "left"}
    assert latest_preferences(cast.dana_episode) == second
    topics = [str(line.topic) for line in preference_lines(second)]
    assert topics == ["Structure", "Style"]
    assert [str(line.answer) for line in preference_lines(second)] == [
        "Open, with room for whatever comes up",
        "Somewhere in between",
    ]
    events = AuditEvent.objects.filter(action=Action.PREFERENCES_UPDATED)
    assert [e.target_id for e in events] == [first.pk, second.pk]
    assert {e.client_id for e in events} == {cast.dana.pk}


def test_each_version_is_read_by_whom_the_client_chose_and_only_the_latest_counts(
    cast: Cast,
) -> None:
    def readers() -> dict[str, bool]:
        return {
            name: preferences_for(getattr(cast, name), cast.dana_episode) is not None
            for name in ("dana", "alice", "sam", "charlie", "eve", "ada")
        }

    nobody_else = {"dana": True, "alice": False, "sam": False}
    outsiders = {"charlie": False, "eve": False, "ada": False}
    save_prefs(cast, structure="left")  # as the page always said: the therapist reads them
    assert readers() == {"dana": True, "alice": True, "sam": False, **outsiders}
    preferences_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        answers={"structure": "left"},
        sharing=access.Sharing.SUPERVISOR,
    )
    assert readers() == {"dana": True, "alice": True, "sam": True, **outsiders}
    preferences_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        answers={"structure": "right"},
        sharing=access.Sharing.PRIVATE,
    )
    # The earlier, shared versions do not stand in for the latest, private one.
    assert readers() == {**nobody_else, **outsiders}
    with pytest.raises(ValidationError):  # Eve's episode has no supervisor
        preferences_save(
            actor=cast.eve,
            episode=cast.eve_episode,
            answers={"lead": "left"},
            sharing=access.Sharing.SUPERVISOR,
        )


def test_unknown_answers_and_empty_saves_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        save_prefs(cast, structure="sideways")
    with pytest.raises(ValidationError):
        save_prefs(cast, favourite_colour="left")
    with pytest.raises(ValidationError, match="at least one"):
        preferences_save(actor=cast.dana, episode=cast.dana_episode, answers={"style": ""})
    assert not TreatmentPreferences.objects.exists()


def test_only_the_client_writes_preferences_and_never_in_a_closed_episode(cast: Cast) -> None:
    for someone in (cast.alice, cast.sam, cast.eve, cast.ada):
        with pytest.raises(PermissionDenied):
            preferences_save(actor=someone, episode=cast.dana_episode, answers={"lead": "left"})
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        save_prefs(cast, lead="left")
    with pytest.raises(ValidationError):
        agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="x")
    with pytest.raises(ValidationError):
        cultural_profile_save(actor=cast.dana, episode=cast.dana_episode, parts={}, shared=set())
    assert not TreatmentPreferences.objects.exists()


def test_an_agenda_item_attaches_to_the_next_booked_session(cast: Cast) -> None:
    now = timezone.now()
    unbooked = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Sleep")
    assert unbooked.session is None
    session_schedule(actor=cast.alice, episode=cast.dana_episode, starts_at=now - timedelta(days=7))
    upcoming = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=now + timedelta(days=2)
    )
    session_schedule(actor=cast.alice, episode=cast.dana_episode, starts_at=now + timedelta(days=9))
    booked = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="My sister")
    assert booked.session == upcoming
    _, rows = agenda_for_next_session(cast.dana_episode)
    # The unbooked one is now for the session booked since.
    assert [(r.item, r.session, r.carried_over) for r in rows] == [
        (unbooked, upcoming, False),
        (booked, upcoming, False),
    ]
    _, later = agenda_for_next_session(cast.dana_episode, now + timedelta(days=3))
    assert [r.carried_over for r in later] == [False, True]
    assert AuditEvent.objects.filter(action=Action.AGENDA_ITEM_ADDED).count() == 2


def test_agenda_text_is_required_and_short(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="   ")
    with pytest.raises(ValidationError):
        agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="x" * 501)
    with pytest.raises(PermissionDenied):
        agenda_item_add(actor=cast.alice, episode=cast.dana_episode, text="From Alice")
    assert not AgendaItem.objects.exists()


def test_the_client_withdraws_and_the_therapist_marks_talked_about(cast: Cast) -> None:
    first = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="One")
    second = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Two")
    for someone in (cast.alice, cast.sam, cast.eve):
        with pytest.raises(PermissionDenied):
            agenda_item_withdraw(actor=someone, item=first)
    agenda_item_withdraw(actor=cast.dana, item=first)
    for someone in (cast.dana, cast.sam, cast.charlie, cast.ada):
        with pytest.raises(PermissionDenied):
            agenda_item_mark_discussed(actor=someone, item=second)
    agenda_item_mark_discussed(actor=cast.alice, item=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.closed_by) == ("withdrawn", cast.dana)
    assert (second.status, second.closed_by) == ("discussed", cast.alice)
    assert agenda_for_next_session(cast.dana_episode) == (None, [])
    with pytest.raises(ValidationError):
        agenda_item_withdraw(actor=cast.dana, item=second)
    with pytest.raises(ValidationError):
        agenda_item_mark_discussed(actor=cast.alice, item=first)
    actions = list(AuditEvent.objects.filter(target_type="agendaitem").values_list("action"))
    assert actions[-2:] == [("agenda_item_withdrawn",), ("agenda_item_discussed",)]


PARTS = {
    "background": "Grew up between two countries",
    "beliefs": "Faith matters to me",
    "family": "Close to my grandmother",
    "understand": "I am a carer",
    "languages": "Portuguese at home",
}


def test_the_profile_shares_only_the_parts_chosen_with_whom_they_were_chosen(cast: Cast) -> None:
    profile = cultural_profile_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        parts=PARTS,
        shared={"beliefs", "languages", "family"},
        shared_with_supervisor={"beliefs", "languages"},
    )
    assert not profile.background_shared and profile.beliefs_shared
    seen_by = {
        name: [line.code for line in cultural_profile_for(user, cast.dana_episode)]
        for name, user in (
            ("dana", cast.dana),
            ("alice", cast.alice),
            ("sam", cast.sam),
            ("charlie", cast.charlie),
            ("eve", cast.eve),
            ("ada", cast.ada),
        )
    }
    assert seen_by == {
        "dana": ["background", "beliefs", "family", "understand", "languages"],
        "alice": ["beliefs", "family", "languages"],
        "sam": ["beliefs", "languages"],
        "charlie": [],
        "eve": [],
        "ada": [],
    }
    # Saving again replaces the profile: unticking a part takes it back.
    cultural_profile_save(
        actor=cast.dana, episode=cast.dana_episode, parts={"beliefs": "Faith"}, shared=set()
    )
    assert cultural_profile_for(cast.alice, cast.dana_episode) == []
    assert CulturalProfile.objects.get().background == ""
    assert AuditEvent.objects.filter(action=Action.CULTURAL_PROFILE_UPDATED).count() == 2


def test_unknown_profile_parts_are_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        cultural_profile_save(
            actor=cast.dana, episode=cast.dana_episode, parts={"politics": "x"}, shared=set()
        )
    with pytest.raises(PermissionDenied):
        cultural_profile_save(actor=cast.alice, episode=cast.dana_episode, parts={}, shared=set())


def test_the_supervisor_is_shared_with_only_beside_the_therapist_and_only_if_there_is_one(
    cast: Cast,
) -> None:
    with pytest.raises(ValidationError):
        cultural_profile_save(
            actor=cast.dana,
            episode=cast.dana_episode,
            parts=PARTS,
            shared=set(),
            shared_with_supervisor={"family"},
        )
    with pytest.raises(ValidationError):  # Eve's episode has no supervisor
        cultural_profile_save(
            actor=cast.eve,
            episode=cast.eve_episode,
            parts=PARTS,
            shared={"family"},
            shared_with_supervisor={"family"},
        )
    assert not CulturalProfile.objects.exists()


PRIVATE, THERAPIST, SUPERVISOR = access.Sharing


@pytest.mark.parametrize(
    ("who", "sharing", "allowed"),
    [
        ("dana", PRIVATE, True),
        ("dana", SUPERVISOR, True),
        ("alice", THERAPIST, True),
        ("alice", SUPERVISOR, True),
        ("alice", PRIVATE, False),
        ("sam", SUPERVISOR, True),
        ("sam", THERAPIST, False),
        ("sam", PRIVATE, False),
        ("charlie", SUPERVISOR, False),
        ("eve", SUPERVISOR, False),
        ("ada", SUPERVISOR, False),
    ],
)
def test_may_read_cultural_part(
    cast: Cast, who: str, sharing: access.Sharing, allowed: bool
) -> None:
    user = getattr(cast, who)
    assert access.may_read_cultural_part(user, cast.dana_episode, sharing=sharing) is allowed


def test_closed_episode_keeps_the_profile_readable_but_not_the_agenda_writable(
    cast: Cast,
) -> None:
    cultural_profile_save(
        actor=cast.dana, episode=cast.dana_episode, parts=PARTS, shared={"family"}
    )
    item = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="One")
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    cast.dana_episode.refresh_from_db()
    assert [line.code for line in cultural_profile_for(cast.alice, cast.dana_episode)] == ["family"]
    assert not access.may_mark_agenda_discussed(cast.alice, cast.dana_episode)
    assert not access.may_withdraw_agenda_item(
        cast.dana, cast.dana_episode, added_by_id=cast.dana.pk
    )
    with pytest.raises(PermissionDenied):
        agenda_item_withdraw(actor=cast.dana, item=item)


SCRIPT = """
from alliance.care.services import episode_open
from alliance.preferences.services import (
    agenda_item_add, cultural_profile_save, preferences_save,
)
from alliance.preferences.items import CULTURAL_CODES
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from tests.conftest import make_user
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
mark = "SENTINEL-pref-" + "4b1c"
preferences_save(actor=client, episode=episode, answers={"lead": "left"},
                 hopes=mark + "-hopes", working_together=mark + "-together")
agenda_item_add(actor=client, episode=episode, text=mark + "-agenda")
cultural_profile_save(actor=client, episode=episode,
                      parts={code: mark + "-" + code for code in CULTURAL_CODES},
                      shared={"family"})
p = TreatmentPreferences.objects.get()
assert (p.hopes, p.working_together) == (mark + "-hopes", mark + "-together")
assert AgendaItem.objects.get().text == mark + "-agenda"
profile = CulturalProfile.objects.get()
assert all(getattr(profile, code) == mark + "-" + code for code in CULTURAL_CODES)
print("stored")
"""


def test_sqlite_file_holds_no_plaintext_of_free_text(tmp_path: Any) -> None:

    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert raw, "the database file was not found"
    assert b"SENTINEL-pref-" not in raw
    assert b"SENTINEL-pref-4b1c" not in raw
