"""The safety plan pages: co-editing, versions, stale edits, and one tap from anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from alliance.safety.models import SafetyPlanVersion
from alliance.safety.services import safety_plan_save
from alliance.safety.steps import MAX_ENTRIES_PER_STEP, MAX_ENTRY_CHARS, STEP_KEYS
from tests.conftest import Cast, signed_in

MINE = reverse("my_safety_plan")
MY_EDIT = reverse("my_safety_plan_edit")


def theirs(cast: Cast, page: str = "", **kwargs: Any) -> str:
    name = "client_safety_plan" + (f"_{page}" if page else "")
    return reverse(name, kwargs={"client_id": cast.dana.pk, **kwargs})


def form_data(based_on: int, **steps: str) -> dict[str, Any]:
    return {"based_on": based_on, **{key: steps.get(key, "") for key in STEP_KEYS}}


def test_without_a_plan_the_page_shows_crisis_lines_and_an_invitation(cast: Cast) -> None:
    response = signed_in(cast.dana).get(MINE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="tel:988"' in page
    assert 'href="tel:911"' in page
    assert MY_EDIT in page
    assert "Start my safety plan" in page


def test_client_and_therapist_co_edit_and_each_sees_the_other(cast: Cast) -> None:
    dana, alice = signed_in(cast.dana), signed_in(cast.alice)
    saved = dana.post(MY_EDIT, form_data(0, warning_signs="I stop eating\n\n  I can't sleep  "))
    assert saved.status_code == 302
    assert saved["Location"] == MINE
    page = dana.get(MINE).content.decode()
    assert "Saved" in page
    assert "I can&#x27;t sleep" in page

    assert "I stop eating" in alice.get(theirs(cast)).content.decode()
    edit = alice.get(theirs(cast, "edit"))
    assert 'name="based_on" value="1"' in edit.content.decode()
    done = alice.post(
        theirs(cast, "edit"),
        form_data(1, warning_signs="I stop eating\nI can't sleep", reasons="My nephew"),
    )
    assert done.status_code == 302
    assert done["Location"] == theirs(cast)

    assert "My nephew" in dana.get(MINE).content.decode()
    versions = SafetyPlanVersion.objects.order_by("number")
    assert [(v.number, v.author) for v in versions] == [(1, cast.dana), (2, cast.alice)]
    assert versions[0].entries("warning_signs") == ["I stop eating", "I can't sleep"]
    assert AuditEvent.objects.filter(
        action=Action.SAFETY_PLAN_UPDATED, actor_id=cast.alice.pk, client_id=cast.dana.pk
    ).exists()


def test_a_stale_edit_is_refused_and_shows_both_texts(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0)
    # Alice opened the form on version 1; meanwhile Dana saved version 2.
    safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat", "Lisbon"]}, based_on=1
    )
    response = signed_in(cast.alice).post(
        theirs(cast, "edit"), form_data(1, reasons="my cat\nmy garden")
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved the plan while you were writing" in page
    assert "Lisbon" in page  # the newer version
    assert "my garden" in page  # the therapist's unsaved text, still in the box
    assert 'name="based_on" value="2"' in page  # a second save merges on top of it
    assert SafetyPlanVersion.objects.count() == 2
    merged = signed_in(cast.alice).post(
        theirs(cast, "edit"), form_data(2, reasons="my cat\nLisbon\nmy garden")
    )
    assert merged.status_code == 302
    assert SafetyPlanVersion.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(0, reasons="x" * (MAX_ENTRY_CHARS + 1)), "characters"),
        (
            form_data(0, coping_alone="\n".join(["walk"] * (MAX_ENTRIES_PER_STEP + 1))),
            "Please keep to",
        ),
        (form_data(0), "at least one thing"),
        ({"reasons": "my cat"}, "Please reload the page"),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_nothing_saved(
    cast: Cast, data: dict[str, Any], message: str
) -> None:
    response = signed_in(cast.dana).post(MY_EDIT, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SafetyPlanVersion.objects.exists()


def test_the_supervisor_reads_but_cannot_edit(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0)
    sam = signed_in(cast.sam)
    page = sam.get(theirs(cast)).content.decode()
    assert "my cat" in page
    assert theirs(cast, "edit") not in page
    assert sam.get(theirs(cast, "edit")).status_code == 403
    assert sam.post(theirs(cast, "edit"), form_data(1, reasons="x")).status_code == 403
    assert SafetyPlanVersion.objects.count() == 1


@pytest.mark.parametrize("who", ["charlie", "ada"])
def test_outsiders_and_admins_get_404_and_learn_nothing(cast: Cast, who: str) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0)
    outsider = signed_in(getattr(cast, who))
    for url in (theirs(cast), theirs(cast, "edit"), theirs(cast, "versions")):
        response = outsider.get(url)
        assert response.status_code == 404
        assert b"my cat" not in response.content


def test_another_client_never_reaches_danas_plan(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0)
    eve = signed_in(cast.eve)
    assert b"my cat" not in eve.get(MINE).content
    assert eve.get(reverse("my_safety_plan_version", kwargs={"number": 1})).status_code == 404
    assert eve.get(theirs(cast)).status_code == 404


def test_closed_episode_leaves_the_therapist_reading_only(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    alice = signed_in(cast.alice)
    assert alice.get(theirs(cast)).status_code == 200
    assert alice.post(theirs(cast, "edit"), form_data(1, reasons="x")).status_code == 403


def test_every_version_is_listed_and_viewable(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["first"]}, based_on=0)
    safety_plan_save(actor=cast.alice, client=cast.dana, steps={"reasons": ["second"]}, based_on=1)
    dana = signed_in(cast.dana)
    listing = dana.get(reverse("my_safety_plan_versions")).content.decode()
    assert "Version 1" in listing and "Version 2" in listing
    assert "Alice (she/her)" in listing and ">you<" in listing
    old = dana.get(reverse("my_safety_plan_version", kwargs={"number": 1}))
    assert b"first" in old.content and b"second" not in old.content
    assert b"earlier version" in old.content
    assert dana.get(reverse("my_safety_plan_version", kwargs={"number": 3})).status_code == 404
    listing = signed_in(cast.sam).get(theirs(cast, "versions")).content.decode()
    assert "Dana (they/them)" in listing
    old = signed_in(cast.sam).get(theirs(cast, "version", number=1))
    assert b"first" in old.content


def test_viewing_the_plan_is_audited(cast: Cast) -> None:
    signed_in(cast.alice).get(theirs(cast))
    assert AuditEvent.objects.filter(
        action=Action.VIEWED, actor_id=cast.alice.pk, client_id=cast.dana.pk
    ).exists()


def test_the_full_plan_page_is_light_plain_and_not_cached(cast: Cast) -> None:
    # Every step at its limit: as many lines as allowed, each as long as allowed.
    line = ("Llamar a mi hermana Ana " * 10)[: MAX_ENTRY_CHARS - 3]
    steps = {key: [f"{n} {line}" for n in range(MAX_ENTRIES_PER_STEP)] for key in STEP_KEYS}
    safety_plan_save(actor=cast.dana, client=cast.dana, steps=steps, based_on=0)
    response = signed_in(cast.dana).get(MINE)
    assert response.status_code == 200
    assert b"<script" not in response.content.lower()
    assert b"<img" not in response.content.lower()
    assert b"style=" not in response.content
    assert len(response.content) < 30_000
    assert "no-store" in response["Cache-Control"]


def test_the_nav_item_is_on_every_client_page(cast: Cast) -> None:
    dana = signed_in(cast.dana)
    for url in (reverse("portal_home"), reverse("profile"), MINE):
        page = dana.get(url).content.decode()
        assert f'<a href="{MINE}"' in page, url
    assert f'<a href="{MINE}" aria-current="page">' in dana.get(MINE).content.decode()
    assert MINE not in signed_in(cast.alice).get(reverse("caseload")).content.decode()


@pytest.mark.parametrize("has_plan", [False, True])
def test_the_crisis_box_links_to_the_plan(cast: Cast, has_plan: bool) -> None:
    if has_plan:
        safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["x"]}, based_on=0)
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(
        actor=cast.dana, administration=administration, answers=[0, 0, 0, 0, 0, 0, 0, 0, 1]
    )
    page = signed_in(cast.dana).get(reverse("checkin_done", args=[administration.pk]))
    crisis = page.content.decode().split('class="crisis"')[1].split("</section>")[0]
    assert f'href="{MINE}"' in crisis
    assert ("Open my safety plan<" in crisis) is has_plan


def test_the_record_panel_says_when_and_who(cast: Cast) -> None:
    record = reverse("client_record", kwargs={"client_id": cast.dana.pk})
    page = signed_in(cast.alice).get(record).content.decode()
    assert "No safety plan yet." in page
    assert theirs(cast, "edit") in page
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["x"]}, based_on=0)
    page = signed_in(cast.alice).get(record).content.decode()
    assert "by Dana (they/them) (version 1)" in page
    assert page.count(theirs(cast)) >= 1
    assert f'href="{theirs(cast)}"' in page  # the view link itself, not only the edit link
    page = signed_in(cast.sam).get(record).content.decode()
    assert theirs(cast) in page
    assert theirs(cast, "edit") not in page


def test_spanish_speaking_client_gets_her_page_in_spanish(cast: Cast) -> None:
    page = signed_in(cast.eve).get(MINE).content.decode()
    assert '<html lang="es"' in page


def test_the_record_panel_shows_once_in_the_newest_episode(cast: Cast) -> None:
    from alliance.care.services import episode_open

    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["x"]}, based_on=0)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    episode_open(actor=cast.alice, client=cast.dana, therapist=cast.alice)
    record = reverse("client_record", kwargs={"client_id": cast.dana.pk})
    page = signed_in(cast.alice).get(record).content.decode()
    assert page.count("by Dana (they/them) (version 1)") == 1
    # Shown in the new, open episode: Alice treats Dana again, so she may edit.
    assert theirs(cast, "edit") in page
