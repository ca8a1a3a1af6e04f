"""The access policy, branch by branch."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from alliance.care import access
from alliance.care.access import Act
from alliance.care.services import episode_close
from tests.conftest import Cast


def test_therapist_reaches_own_clients_only(cast: Cast) -> None:
    reachable = set(access.episodes_reachable_by(cast.alice))
    assert reachable == {cast.dana_episode, cast.eve_episode}
    assert set(access.episodes_reachable_by(cast.charlie)) == set()


def test_supervisor_reaches_supervised_episodes_only(cast: Cast) -> None:
    assert set(access.episodes_reachable_by(cast.sam)) == {cast.dana_episode}


def test_client_reaches_own_episode_only(cast: Cast) -> None:
    assert set(access.episodes_reachable_by(cast.dana)) == {cast.dana_episode}


def test_admin_reaches_no_clinical_record(cast: Cast) -> None:
    assert set(access.episodes_reachable_by(cast.ada)) == set()
    with pytest.raises(Http404):
        access.access_client_record(cast.ada, cast.dana.pk)


def test_anonymous_and_inactive_reach_nothing(cast: Cast) -> None:
    assert not access.episodes_reachable_by(AnonymousUser()).exists()  # type: ignore[arg-type]
    cast.alice.is_active = False
    assert not access.episodes_reachable_by(cast.alice).exists()
    assert not access.may_act_on_episode(cast.alice, cast.dana_episode, Act.READ)


def test_other_therapist_gets_404_for_a_record(cast: Cast) -> None:
    with pytest.raises(Http404):
        access.access_client_record(cast.charlie, cast.dana.pk)
    with pytest.raises(Http404):
        access.access_episode(cast.charlie, cast.dana_episode.pk, Act.TREAT)


def test_unknown_record_is_the_same_404(cast: Cast) -> None:
    with pytest.raises(Http404):
        access.access_client_record(cast.alice, 987654)
    with pytest.raises(Http404):
        access.access_episode(cast.alice, 987654)


def test_treating_therapist_may_treat_open_episode(cast: Cast) -> None:
    assert access.access_episode(cast.alice, cast.dana_episode.pk, Act.TREAT) == cast.dana_episode


def test_supervisor_may_read_but_not_treat(cast: Cast) -> None:
    assert access.access_episode(cast.sam, cast.dana_episode.pk) == cast.dana_episode
    with pytest.raises(PermissionDenied):
        access.access_episode(cast.sam, cast.dana_episode.pk, Act.TREAT)


def test_closed_episode_is_read_only_for_its_therapist(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    assert access.access_episode(cast.alice, cast.dana_episode.pk).pk == cast.dana_episode.pk
    with pytest.raises(PermissionDenied):
        access.access_episode(cast.alice, cast.dana_episode.pk, Act.TREAT)
    with pytest.raises(PermissionDenied):
        access.access_episode(cast.dana, cast.dana_episode.pk, Act.CONTRIBUTE)


def test_client_may_contribute_to_own_open_episode_only(cast: Cast) -> None:
    assert access.access_episode(cast.dana, cast.dana_episode.pk, Act.CONTRIBUTE)
    with pytest.raises(Http404):
        access.access_episode(cast.eve, cast.dana_episode.pk, Act.CONTRIBUTE)
    with pytest.raises(PermissionDenied):
        access.access_episode(cast.dana, cast.dana_episode.pk, Act.TREAT)
    assert not access.may_act_on_episode(cast.alice, cast.dana_episode, Act.CONTRIBUTE)


def test_record_access_lists_the_episodes_it_came_through(cast: Cast) -> None:
    from alliance.care.services import episode_open

    second = episode_open(actor=cast.charlie, client=cast.dana, therapist=cast.charlie)
    alice_view = access.access_client_record(cast.alice, cast.dana.pk)
    assert alice_view.episodes == (cast.dana_episode,)
    charlie_view = access.access_client_record(cast.charlie, cast.dana.pk)
    assert charlie_view.episodes == (second,)
    assert charlie_view.client == cast.dana
    assert len(access.access_client_record(cast.dana, cast.dana.pk).episodes) == 2


@pytest.mark.parametrize(
    ("who", "manage", "invite", "caseload", "portal"),
    [
        ("ada", True, False, False, False),
        ("alice", False, True, True, False),
        ("sam", False, False, True, False),
        ("dana", False, False, False, True),
    ],
)
def test_role_pages(
    cast: Cast, who: str, manage: bool, invite: bool, caseload: bool, portal: bool
) -> None:
    user: Any = getattr(cast, who)
    assert access.may_manage_accounts(user) is manage
    assert access.may_invite_clients(user) is invite
    assert access.may_see_caseload(user) is caseload
    assert access.may_use_client_portal(user) is portal


def test_who_someone_is(cast: Cast) -> None:
    assert [access.is_client(u) for u in (cast.dana, cast.alice, cast.sam, cast.ada)] == [
        True,
        False,
        False,
        False,
    ]
    assert access.is_therapist(cast.alice) and not access.is_therapist(cast.sam)
    assert access.is_supervisor(cast.sam) and not access.is_supervisor(cast.alice)
    assert access.is_admin(cast.ada) and not access.is_admin(cast.alice)
    assert access.is_clinician(cast.sam) and not access.is_clinician(cast.ada)
    assert access.is_staff_member(cast.ada) and not access.is_staff_member(cast.dana)
    assert access.is_staff_role("therapist") and not access.is_staff_role("client")
    assert access.is_client_role("client") and not access.is_client_role("admin")
    assert access.same_person(cast.dana.pk, cast.dana.pk)
    assert not access.same_person(cast.dana.pk, cast.eve.pk)
    assert not access.same_person(None, None)
    assert access.is_one_of(cast.alice, {cast.alice.pk}) and not access.is_one_of(cast.sam, set())


def test_the_people_of_an_episode_and_whom_a_page_speaks_to(cast: Cast) -> None:
    episode = cast.dana_episode
    assert access.is_episode_client(cast.dana, episode)
    assert not access.is_episode_client(cast.eve, episode)
    assert access.is_treating_therapist(cast.alice, episode)
    assert not access.is_treating_therapist(cast.sam, episode)
    assert access.is_episode_supervisor(cast.sam, episode)
    assert not access.is_episode_supervisor(cast.alice, cast.eve_episode)
    assert access.audience(cast.dana, episode) == "client"
    assert access.audience(cast.alice, episode) == access.audience(cast.sam, episode) == "clinician"


def test_only_the_episodes_client_passes_require_episode_client(cast: Cast) -> None:
    access.require_episode_client(cast.dana, cast.dana_episode)
    for someone in (cast.alice, cast.sam, cast.charlie, cast.eve, cast.ada):
        with pytest.raises(PermissionDenied):
            access.require_episode_client(someone, cast.dana_episode)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    access.require_episode_client(cast.dana, cast.dana_episode)  # open or not: the service says
    cast.dana.is_active = False
    with pytest.raises(PermissionDenied):
        access.require_episode_client(cast.dana, cast.dana_episode)


def test_only_the_client_downloads_their_own_record(cast: Cast) -> None:
    access.require_export_own_record(cast.dana, cast.dana)
    for someone, client in ((cast.eve, cast.dana), (cast.alice, cast.dana), (cast.ada, cast.ada)):
        with pytest.raises(PermissionDenied):
            access.require_export_own_record(someone, client)
