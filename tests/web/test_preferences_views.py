"""The preferences pages: the client writes, the therapist reads only what was shared."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close, session_schedule
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.preferences.services import (
    agenda_item_add,
    cultural_profile_save,
    preferences_save,
)
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db

PRIVATE = "PRIVATE-only-for-me-7f3a"
SHARED = "SHARED-with-Alice-2c9d"


def record(cast: Cast) -> str:
    return reverse("client_record", kwargs={"client_id": cast.dana.pk})


def test_client_saves_preferences_as_a_new_version(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    page = dana.get(reverse("my_preferences"))
    assert page.status_code == 200
    assert "Somewhere in between" in page.content.decode()
    response = dana.post(
        reverse("my_preferences"),
        {
            "structure": "left",
            "lead": "none",
            "hopes": "To feel calmer at work",
            "sharing": "therapist",
        },
    )
    assert response.status_code == 302
    dana.post(reverse("my_preferences"), {"structure": "right", "sharing": "supervisor"})
    versions = list(TreatmentPreferences.objects.order_by("version"))
    assert [v.answers for v in versions] == [
        {"structure": "left", "lead": "none"},
        {"structure": "right"},
    ]
    assert versions[0].hopes == "To feel calmer at work"
    assert [v.sharing.value for v in versions] == ["therapist", "supervisor"]
    page = dana.get(reverse("my_preferences")).content.decode()
    assert "Last updated on" in page
    # The form shows the latest answers.
    assert 'name="structure" value="right" id="id_structure_2" checked>' in page
    assert 'name="structure" value="left" id="id_structure_0">' in page
    assert 'name="sharing" value="supervisor" id="id_sharing_2" required checked>' in page
    assert AuditEvent.objects.filter(action=Action.PREFERENCES_UPDATED).count() == 2


def test_bad_preferences_are_a_400_and_nothing_is_saved(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    empty = dana.post(reverse("my_preferences"), {"sharing": "therapist"})
    assert empty.status_code == 400
    assert "Choose at least one answer" in empty.content.decode()
    unchosen = dana.post(reverse("my_preferences"), {"structure": "left"})
    assert unchosen.status_code == 400
    assert "Please choose who may read this." in unchosen.content.decode()
    odd = dana.post(reverse("my_preferences"), {"structure": "sideways", "sharing": "therapist"})
    assert odd.status_code == 400
    assert "Select a valid choice" in odd.content.decode()
    assert not TreatmentPreferences.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.PREFERENCES_UPDATED).exists()


def test_client_adds_an_agenda_item_from_home_and_withdraws_it(cast: Cast) -> None:
    session = session_schedule(
        actor=cast.alice,
        episode=cast.dana_episode,
        starts_at=timezone.now() + timedelta(days=2),
    )
    dana = signed_in(cast.dana)
    home = dana.get(reverse("portal_home")).content.decode()
    assert "Add something for your next session" in home
    response = dana.post(reverse("agenda_add"), {"text": "My new job", "back": "home"})
    assert response.status_code == 302 and response["Location"] == reverse("portal_home")
    item = AgendaItem.objects.get()
    assert (item.text, item.session) == ("My new job", session)
    assert "My new job" in dana.get(reverse("portal_home")).content.decode()
    assert "My new job" in dana.get(reverse("my_preferences")).content.decode()
    assert dana.post(reverse("agenda_withdraw", kwargs={"item_id": item.pk})).status_code == 302
    item.refresh_from_db()
    assert item.status == "withdrawn"
    again = dana.post(reverse("agenda_withdraw", kwargs={"item_id": item.pk}))
    assert again.status_code == 400
    assert "already talked about or taken back" in again.content.decode()


def test_an_empty_agenda_item_is_a_400(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    response = dana.post(reverse("agenda_add"), {"text": "  ", "back": "home"})
    assert response.status_code == 400
    assert "Please write what you would like to talk about." in response.content.decode()
    too_long = dana.post(reverse("agenda_add"), {"text": "x" * 501})
    assert too_long.status_code == 400
    assert not AgendaItem.objects.exists()


def test_a_client_cannot_withdraw_another_clients_item(cast: Cast) -> None:
    item = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Mine")
    eve = signed_in(cast.eve)
    assert eve.post(reverse("agenda_withdraw", kwargs={"item_id": item.pk})).status_code == 404
    item.refresh_from_db()
    assert item.status == "open"


def test_therapist_sees_agenda_and_preferences_and_marks_talked_about(cast: Cast) -> None:
    preferences_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        answers={"style": "right", "between_sessions": "left"},
        hopes="Hope-text-for-Alice",
    )
    item = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Agenda-for-Alice")
    alice = signed_in(cast.alice)
    page = alice.get(record(cast)).content.decode()
    assert "Agenda-for-Alice" in page
    assert "Hope-text-for-Alice" in page
    assert "Direct, and willing to challenge me" in page
    assert "Yes, exercises to try between sessions are welcome" in page
    assert reverse("agenda_discussed", kwargs={"item_id": item.pk}) in page
    # The panel sits at the top of the record, before the episodes.
    assert page.index("Preferences and agenda") < page.index("Episode of care opened")
    response = alice.post(reverse("agenda_discussed", kwargs={"item_id": item.pk}))
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.closed_by) == ("discussed", cast.alice)
    assert "Agenda-for-Alice" not in alice.get(record(cast)).content.decode()
    again = alice.post(reverse("agenda_discussed", kwargs={"item_id": item.pk}))
    assert again.status_code == 400
    assert "no longer on the agenda" in again.content.decode()
    assert AuditEvent.objects.filter(action="agenda_item_discussed", target_id=item.pk).exists()


def test_the_supervisor_reads_preferences_only_when_the_client_chose_so(cast: Cast) -> None:
    preferences_save(
        actor=cast.dana, episode=cast.dana_episode, answers={"lead": "left"}, hopes="Hope-for-Alice"
    )
    assert "Hope-for-Alice" in signed_in(cast.alice).get(record(cast)).content.decode()
    page = signed_in(cast.sam).get(record(cast)).content.decode()
    assert "Hope-for-Alice" not in page
    assert "The client has not shared treatment preferences with you." in page


def test_supervisor_reads_the_agenda_but_has_no_talked_about_button(cast: Cast) -> None:
    item = agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="Agenda-for-Sam")
    sam = signed_in(cast.sam)
    page = sam.get(record(cast)).content.decode()
    assert "Agenda-for-Sam" in page
    assert reverse("agenda_discussed", kwargs={"item_id": item.pk}) not in page
    assert sam.post(reverse("agenda_discussed", kwargs={"item_id": item.pk})).status_code == 403


def test_unshared_profile_parts_never_reach_the_therapists_html(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    response = dana.post(
        reverse("my_cultural_profile"),
        {
            "background": f"{PRIVATE}-background",
            "beliefs": f"{SHARED}-beliefs",
            "beliefs_sharing": "supervisor",
            "family": f"{PRIVATE}-family",
            "family_sharing": "private",
            "understand": f"{SHARED}-understand",
            "understand_sharing": "therapist",
            "languages": f"{PRIVATE}-languages",
        },
    )
    assert response.status_code == 302
    profile = CulturalProfile.objects.get()
    assert (profile.beliefs_shared, profile.background_shared) == (True, False)
    assert (profile.beliefs_shared_supervisor, profile.understand_shared_supervisor) == (
        True,
        False,
    )
    own = dana.get(reverse("my_cultural_profile")).content.decode()
    assert PRIVATE in own and SHARED in own
    assert "You, your therapist and their supervisor" in own
    assert "You and your therapist" in own and "Only you" in own
    alice_page = signed_in(cast.alice).get(record(cast)).content.decode()
    assert f"{SHARED}-beliefs" in alice_page and f"{SHARED}-understand" in alice_page
    sam_page = signed_in(cast.sam).get(record(cast)).content.decode()
    assert f"{SHARED}-beliefs" in sam_page and f"{SHARED}-understand" not in sam_page
    for page in (alice_page, sam_page):
        assert PRIVATE not in page
    assert AuditEvent.objects.filter(action=Action.CULTURAL_PROFILE_UPDATED).count() == 1


def test_sharing_is_off_unless_chosen_and_the_page_says_so(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    page = dana.get(reverse("my_cultural_profile")).content.decode()
    assert "Nothing is shared until you choose it" in page
    assert 'name="background_sharing" value="private" id="id_background_sharing_0" checked' in page
    assert "Me, my therapist Alice (she/her) and their supervisor, Sam (he/him)" in page
    dana.post(reverse("my_cultural_profile"), {"background": PRIVATE})
    assert not CulturalProfile.objects.get().background_shared
    assert PRIVATE not in signed_in(cast.alice).get(record(cast)).content.decode()


def test_profile_shows_name_and_pronouns_and_links_to_about_me(cast: Cast) -> None:
    page = signed_in(cast.dana).get(reverse("my_cultural_profile")).content.decode()
    assert "they/them" in page
    assert f'href="{reverse("profile")}"' in page


def test_closed_episode_is_read_only_for_the_client(cast: Cast) -> None:
    preferences_save(actor=cast.dana, episode=cast.dana_episode, answers={"lead": "right"})
    cultural_profile_save(
        actor=cast.dana, episode=cast.dana_episode, parts={"family": "Fam"}, shared=set()
    )
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    dana = signed_in(cast.dana)
    page = dana.get(reverse("my_preferences")).content.decode()
    assert "This course of care has ended" in page
    assert "Save my preferences" not in page
    assert dana.post(reverse("my_preferences"), {"lead": "left"}).status_code == 403
    assert dana.post(reverse("agenda_add"), {"text": "x"}).status_code == 403
    assert dana.post(reverse("my_cultural_profile"), {"family": "x"}).status_code == 403
    assert "Fam" in dana.get(reverse("my_cultural_profile")).content.decode()
    assert TreatmentPreferences.objects.count() == 1
    assert (
        "Add something for your next session"
        not in dana.get(reverse("portal_home")).content.decode()
    )


def test_nav_item_marks_the_current_page(cast: Cast) -> None:
    page = signed_in(cast.dana).get(reverse("my_cultural_profile")).content.decode()
    assert f'<a href="{reverse("my_preferences")}" aria-current="page">' in page


def test_spanish_client_sees_spanish_wording(cast: Cast) -> None:
    from django.utils.translation import override

    from alliance.preferences.items import ITEMS

    page = signed_in(cast.eve).get(reverse("my_preferences")).content.decode()
    with override("es"):
        question = str(ITEMS[0].question)
    assert question in page


def test_home_card_links_to_preferences_in_words_that_fit(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    assert (
        "Tell your therapist how you'd like to work"
        in dana.get(reverse("portal_home")).content.decode()
    )
    preferences_save(actor=cast.dana, episode=cast.dana_episode, answers={"lead": "left"})
    home = dana.get(reverse("portal_home")).content.decode()
    assert "How you'd like to work, and your list" in home
