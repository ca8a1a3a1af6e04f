"""Who may read and edit a client's safety plan (alliance.care.access, "safety")."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from alliance.care import access
from alliance.care.services import episode_close
from tests.conftest import Cast

READERS = {"dana": True, "alice": True, "sam": True, "charlie": False, "eve": False, "ada": False}
EDITORS = {"dana": True, "alice": True, "sam": False, "charlie": False, "eve": False, "ada": False}


@pytest.mark.parametrize("who", sorted(READERS))
def test_who_reads_and_edits_danas_plan(cast: Cast, who: str) -> None:
    user = getattr(cast, who)
    assert access.may_read_safety_plan(user, cast.dana) is READERS[who]
    assert access.may_edit_safety_plan(user, cast.dana) is EDITORS[who]


@pytest.mark.parametrize("who", ["charlie", "eve", "ada"])
def test_outsiders_get_404(cast: Cast, who: str) -> None:
    with pytest.raises(Http404):
        access.access_safety_plan(getattr(cast, who), cast.dana.pk)


def test_the_supervisor_reads_but_may_not_write(cast: Cast) -> None:
    assert access.access_safety_plan(cast.sam, cast.dana.pk) == cast.dana
    with pytest.raises(PermissionDenied):
        access.access_safety_plan(cast.sam, cast.dana.pk, write=True)


def test_a_closed_episode_leaves_the_therapist_reading_only(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    assert access.may_read_safety_plan(cast.alice, cast.dana)
    assert not access.may_edit_safety_plan(cast.alice, cast.dana)
    with pytest.raises(PermissionDenied):
        access.access_safety_plan(cast.alice, cast.dana.pk, write=True)


def test_the_client_keeps_editing_their_own_plan_between_episodes(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    assert access.access_safety_plan(cast.dana, cast.dana.pk, write=True) == cast.dana


def test_an_inactive_account_reaches_nothing(cast: Cast) -> None:
    cast.alice.is_active = False
    assert not access.may_read_safety_plan(cast.alice, cast.dana)
    assert not access.may_edit_safety_plan(cast.alice, cast.dana)
