"""Every sentence that tells the client who reads something is what the pages do.

DESIGN.md, "Promises": each such sentence is a promise. For every sharing choice the
client makes (each part of the cultural profile, their preferences, each exercise entry)
and every part they do not choose for (check-ins, messages, the agenda, the plan, the
safety plan), the client's page is rendered in English and in Spanish, and the sentence on
it is looked up in this file's own table of what each wording promises. That promise is
then held against the access policy's answer (``alliance.care.access``) and against what
each person's own pages really show: the therapist (Alice), the supervisor (Sam), another
therapist (Charlie) and the practice admin (Ada). A wording not in the table fails, so a
new or changed sentence must be read and added here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from alliance.care import access
from alliance.care.access import Part, Sharing
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db

T, S, OTHERS = "therapist", "supervisor", "others"  # OTHERS: of the client's other episodes
NOBODY: frozenset[str] = frozenset()
SENTINEL = "PROMISE-sentinel-5e1b"
LANGUAGES = ("en", "es")


def says(cast: Cast, language: str) -> dict[str, frozenset[str]]:
    """What each wording the client may be shown promises: who reads the thing, besides them."""
    alice = cast.alice.display_name
    if language == "en":
        table = {
            "Only you": NOBODY,
            "You and your therapist": {T},
            "You, your therapist and their supervisor": {T, S},
            "Only you. Your therapist sees that you did it, not what you wrote.": NOBODY,
            "You and your therapist.": {T},
            "You and your therapist. Their supervisor sees that you did it, not what you wrote.": {
                T
            },
            "You, your therapist and their supervisor.": {T, S},
            "Your answers go to your therapist.": {T},
            "Your answers go to your therapist. Their supervisor can read them too, to support "
            "your care.": {T, S},
            f"A private conversation between you and {alice}.": {T},
            f"A private conversation with {alice}. Your therapist's supervisor can read it "
            "too, to support your care.": {T, S},
            "Your therapist sees your list before you meet.": {T},
            "Your therapist sees your list before you meet. Their supervisor can read it too, "
            "to support your care.": {T, S},
            "You and your therapist read and write it.": {T},
            "You and your therapist read and write it. Their supervisor can read it too, to "
            "support your care.": {T, S},
            "Your therapist can read it, to support your care.": {T},
            "Your therapist and their supervisor can read it, to support your care.": {T, S},
            "Your therapist can read it, to support your care, and so can the therapists (and "
            "supervisors) of your other courses of care here.": {T, OTHERS},
            "Your therapist and their supervisor can read it, to support your care, and so can "
            "the therapists (and supervisors) of your other courses of care here.": {T, S, OTHERS},
        }
    else:
        table = {
            "Solo usted": NOBODY,
            "Usted y su terapeuta": {T},
            "Usted, su terapeuta y el/la supervisor/a de su terapeuta": {T, S},
            "Solo usted. Su terapeuta ve que lo hizo, no lo que escribió.": NOBODY,
            "Usted y su terapeuta.": {T},
            "Usted y su terapeuta. El/la supervisor/a de su terapeuta ve que lo hizo, no lo "
            "que escribió.": {T},
            "Usted, su terapeuta y el/la supervisor/a de su terapeuta.": {T, S},
            "Sus respuestas llegan a su terapeuta.": {T},
            "Sus respuestas llegan a su terapeuta. El/la supervisor/a de su terapeuta también "
            "puede leerlas, para apoyar la atención que recibe.": {T, S},
            f"Una conversación privada entre usted y {alice}.": {T},
            f"Una conversación privada con {alice}. El/la supervisor/a de su terapeuta también "
            "puede leerla, para apoyar la atención que recibe.": {T, S},
            "Su terapeuta ve su lista antes de la sesión.": {T},
            "Su terapeuta ve su lista antes de la sesión. El/la supervisor/a de su terapeuta "
            "también puede leerla, para apoyar la atención que recibe.": {T, S},
            "Usted y su terapeuta lo leen y lo escriben.": {T},
            "Usted y su terapeuta lo leen y lo escriben. El/la supervisor/a de su terapeuta "
            "también puede leerlo, para apoyar la atención que recibe.": {T, S},
            "Su terapeuta puede leerlo, para apoyar la atención que recibe.": {T},
            "Su terapeuta y el/la supervisor/a de su terapeuta pueden leerlo, para apoyar la "
            "atención que recibe.": {T, S},
            "Su terapeuta puede leerlo, para apoyar la atención que recibe, y también los/las "
            "terapeutas (y supervisores/as) de sus otros procesos de atención aquí.": {T, OTHERS},
            "Su terapeuta y el/la supervisor/a de su terapeuta pueden leerlo, para apoyar la "
            "atención que recibe, y también los/las terapeutas (y supervisores/as) de sus "
            "otros procesos de atención aquí.": {T, S, OTHERS},
        }
    return {sentence: frozenset(who) for sentence, who in table.items()}


def text_of(page: str, attribute: str) -> str:
    """The words of the first element carrying ``attribute`` (e.g. data-promise="agenda")."""
    found = re.search(rf"<(\w+)[^>]*\b{attribute}[^>]*>(.*?)</\1>", page, re.S)
    assert found is not None, f"no element with {attribute}"
    words = re.sub(r"<[^>]+>", "", found[2])
    return " ".join(html.unescape(words).split())


def stated(cast: Cast, language: str, words: str) -> frozenset[str]:
    """Who the sentence promises reads the thing; it must be one of the table's wordings."""
    table = says(cast, language)
    matches = [sentence for sentence in table if sentence in words]
    assert matches, f"an unknown promise ({language}): {words!r}"
    longest = max(matches, key=len)
    assert all(sentence in longest for sentence in matches), f"two promises in {words!r}"
    return table[longest]


def speaking(user: Any, language: str) -> Any:
    from alliance.accounts.models import User

    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return signed_in(user)


@dataclass
class Who:
    therapist: Any
    supervisor: Any
    other_therapist: Any
    admin: Any

    def roles(self) -> dict[str, Any]:
        return {
            "therapist": self.therapist,
            "supervisor": self.supervisor,
            "other_therapist": self.other_therapist,
            "admin": self.admin,
        }


def the_four(cast: Cast) -> Who:
    return Who(cast.alice, cast.sam, cast.charlie, cast.ada)


def expected_reader(role: str, promise: frozenset[str], episode: Any, user: Any) -> bool:
    """Whether the promise says this person reads it."""
    if role == "therapist":
        return T in promise
    if role == "supervisor":
        return S in promise and episode.supervisor_id == user.pk
    if role == "other_therapist":
        from alliance.care.models import Episode

        others = Episode.objects.filter(client=episode.client, therapist=user)
        return OTHERS in promise and others.exists()
    return False  # the admin: no sentence ever promises them anything


def shows(client: Any, url: str) -> bool:
    """Whether the page opens for this person and holds the sentinel."""
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)
    return response.status_code == 200 and SENTINEL in response.content.decode()


def hold(
    cast: Cast,
    episode: Any,
    part: Part,
    promise: frozenset[str],
    seen_at: str,
    sharing: Sharing | None = None,
) -> None:
    """The promise against the policy and against each person's page at ``seen_at``."""
    for role, user in the_four(cast).roles().items():
        expected = expected_reader(role, promise, episode, user)
        if part is Part.SAFETY_PLAN:
            policy = access.may_read_safety_plan(user, episode.client)
        else:
            policy = access.may_read_part(user, episode, part, sharing)
        assert policy is expected, (part, role, promise)
        assert shows(signed_in(user), seen_at) is expected, (part, role, promise, seen_at)


# --- the client's choices ---------------------------------------------------------------------

CHOICES = [
    ("dana", Sharing.PRIVATE),
    ("dana", Sharing.THERAPIST),
    ("dana", Sharing.SUPERVISOR),
    ("eve", Sharing.PRIVATE),
    ("eve", Sharing.THERAPIST),
]


def episode_of(cast: Cast, who: str) -> Any:
    return cast.dana_episode if who == "dana" else cast.eve_episode


def record_url(episode: Any) -> str:
    return reverse("client_record", kwargs={"client_id": episode.client_id})


def check_choice_labels(cast: Cast, page: str, field: str, episode: Any, language: str) -> None:
    """Each option names exactly the people it shares with (and only offers who exists)."""
    labels = dict(
        re.findall(
            rf'<input type="radio" name="{field}" value="(\w+)"[^>]*> <span>(.*?)</span>', page
        )
    )
    alice, sam = cast.alice.display_name, cast.sam.display_name
    assert "supervisor" in labels if episode.supervisor_id else "supervisor" not in labels
    only_me = {"en": "Only me", "es": "Solo yo"}[language]
    assert html.unescape(labels["private"]) == only_me
    assert alice in labels["therapist"] and sam not in labels["therapist"]
    if "supervisor" in labels:
        assert alice in labels["supervisor"] and sam in labels["supervisor"]
        assert "supervisor" in labels["supervisor"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("who", "sharing"), CHOICES)
def test_each_part_of_the_cultural_profile(
    cast: Cast, who: str, sharing: Sharing, language: str
) -> None:
    episode = episode_of(cast, who)
    client = speaking(episode.client, language)
    url = reverse("my_cultural_profile")
    check_choice_labels(
        cast, client.get(url).content.decode(), "background_sharing", episode, language
    )
    response = client.post(url, {"background": SENTINEL, "background_sharing": sharing.value})
    assert response.status_code == 302
    promise = stated(
        cast, language, text_of(client.get(url).content.decode(), 'data-part="background"')
    )
    hold(cast, episode, Part.CULTURAL_PART, promise, record_url(episode), sharing)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("who", "sharing"), CHOICES)
def test_the_treatment_preferences(cast: Cast, who: str, sharing: Sharing, language: str) -> None:
    episode = episode_of(cast, who)
    client = speaking(episode.client, language)
    url = reverse("my_preferences")
    check_choice_labels(cast, client.get(url).content.decode(), "sharing", episode, language)
    response = client.post(url, {"structure": "left", "hopes": SENTINEL, "sharing": sharing.value})
    assert response.status_code == 302
    promise = stated(
        cast, language, text_of(client.get(url).content.decode(), 'data-promise="preferences"')
    )
    hold(cast, episode, Part.PREFERENCES, promise, record_url(episode), sharing)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("who", "sharing"), CHOICES)
def test_each_exercise_entry(cast: Cast, who: str, sharing: Sharing, language: str) -> None:
    from alliance.exercises.models import Entry
    from alliance.exercises.services import assignment_create

    episode = episode_of(cast, who)
    assignment = assignment_create(
        actor=cast.alice, episode=episode, exercise_type="exercise-reflection-journal"
    )
    client = speaking(episode.client, language)
    form = client.get(reverse("exercise_do", args=[assignment.pk])).content.decode()
    check_choice_labels(cast, form, "share", episode, language)
    response = client.post(
        reverse("exercise_do", args=[assignment.pk]),
        {"rj-entry": SENTINEL, "share": sharing.value},
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    for page, attribute in (
        (response["Location"], 'data-promise="exercise_entry"'),
        (reverse("my_exercises"), 'data-promise="exercise_entry_row"'),
    ):
        promise = stated(cast, language, text_of(client.get(page).content.decode(), attribute))
        detail = reverse("exercise_entry_detail", args=[entry.pk])
        hold(cast, episode, Part.EXERCISE_ENTRY, promise, detail, sharing)
    # Changing it afterwards is held the same way, on the entry's own page.
    changed = client.post(
        reverse("exercise_entry_sharing", args=[entry.pk]), {"share": Sharing.PRIVATE.value}
    )
    assert changed.status_code == 302
    promise = stated(
        cast,
        language,
        text_of(client.get(response["Location"]).content.decode(), 'data-promise="exercise_entry"'),
    )
    assert promise == NOBODY
    hold(
        cast,
        episode,
        Part.EXERCISE_ENTRY,
        promise,
        reverse("exercise_entry_detail", args=[entry.pk]),
        Sharing.PRIVATE,
    )


# --- what the client does not choose for -------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["dana", "eve"])
def test_check_in_answers(cast: Cast, who: str, language: str) -> None:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    episode = episode_of(cast, who)
    administration = administration_request(
        actor=cast.alice, episode=episode, instrument_id="phq-9"
    )
    client = speaking(episode.client, language)
    before = client.get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    promise = stated(cast, language, text_of(before, 'data-promise="checkin"'))
    response = response_submit(actor=episode.client, administration=administration, answers=[0] * 9)
    after = client.get(reverse("checkin_done", args=[administration.pk])).content.decode()
    assert stated(cast, language, text_of(after, 'data-promise="checkin"')) == promise
    for role, user in the_four(cast).roles().items():
        expected = expected_reader(role, promise, episode, user)
        assert access.may_read_part(user, episode, Part.CHECKIN) is expected
        opened = signed_in(user).get(reverse("response_detail", args=[response.pk]))
        assert (opened.status_code == 200) is expected, (role, promise)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["dana", "eve"])
def test_messages(cast: Cast, who: str, language: str) -> None:
    from alliance.messaging.services import message_send

    episode = episode_of(cast, who)
    message_send(actor=episode.client, episode=episode, body=SENTINEL, notify=False)
    page = speaking(episode.client, language).get(reverse("my_messages")).content.decode()
    promise = stated(cast, language, text_of(page, 'data-promise="messages"'))
    thread = reverse("episode_messages", args=[episode.pk])
    hold(cast, episode, Part.MESSAGES, promise, thread)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["dana", "eve"])
def test_the_agenda(cast: Cast, who: str, language: str) -> None:
    from alliance.preferences.services import agenda_item_add

    episode = episode_of(cast, who)
    agenda_item_add(actor=episode.client, episode=episode, text=SENTINEL)
    client = speaking(episode.client, language)
    for url in (reverse("portal_home"), reverse("my_preferences")):
        page = client.get(url).content.decode()
        promise = stated(cast, language, text_of(page, 'data-promise="agenda"'))
        hold(cast, episode, Part.AGENDA, promise, record_url(episode))
    response = client.post(reverse("agenda_add"), {"text": "One more thing"}, follow=True)
    flash = response.content.decode()
    with_supervisor = {"en": "their supervisor can read it too", "es": "también puede leerlo"}
    assert (with_supervisor[language] in flash) is (S in promise)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["dana", "eve"])
def test_the_plan(cast: Cast, who: str, language: str) -> None:
    from alliance.plans.services import goal_propose

    episode = episode_of(cast, who)
    goal_propose(actor=episode.client, episode=episode, text=SENTINEL)
    page = speaking(episode.client, language).get(reverse("my_plan")).content.decode()
    promise = stated(cast, language, text_of(page, 'data-promise="plan"'))
    hold(cast, episode, Part.PLAN, promise, reverse("episode_plan", args=[episode.pk]))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("who", "earlier_with_charlie"),
    [("dana", False), ("eve", False), ("dana", True), ("eve", True)],
)
def test_the_safety_plan(cast: Cast, who: str, earlier_with_charlie: bool, language: str) -> None:
    from alliance.care.services import episode_close, episode_open
    from alliance.safety.services import safety_plan_save

    episode = episode_of(cast, who)
    if earlier_with_charlie:
        earlier = episode_open(actor=cast.charlie, client=episode.client, therapist=cast.charlie)
        episode_close(actor=cast.charlie, episode=earlier)
    client_user = episode.client
    safety_plan_save(
        actor=client_user, client=client_user, steps={"reasons": [SENTINEL]}, based_on=0
    )
    page = speaking(client_user, language).get(reverse("my_safety_plan")).content.decode()
    promise = stated(cast, language, text_of(page, 'data-promise="safety_plan"'))
    assert (OTHERS in promise) is earlier_with_charlie
    url = reverse("client_safety_plan", args=[client_user.pk])
    hold(cast, episode, Part.SAFETY_PLAN, promise, url)


def test_the_safety_plan_before_any_care_is_the_clients_alone(cast: Cast) -> None:
    from tests.conftest import make_user

    newcomer = make_user("new@example.test", "Nia", "client")
    page = signed_in(newcomer).get(reverse("my_safety_plan")).content.decode()
    assert text_of(page, 'data-promise="safety_plan"') == (
        "Only you can read it until you start seeing a therapist here."
    )
    for user in the_four(cast).roles().values():
        assert not access.may_read_safety_plan(user, newcomer)
