"""Shared vocabulary of the access matrix: roles and expected-outcome makers."""

from __future__ import annotations

from typing import Any

ROLES = ("anon", "client", "other_client", "therapist", "other_therapist", "supervisor", "admin")


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, code)


def signed_in(code: int, anon: int = 302) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, code), "anon": anon}


def only(allowed: dict[str, int], others: int = 404) -> dict[str, int]:
    return {**signed_in(others), **allowed}


LOGGED_IN_REDIRECT = signed_in(302, anon=200)

# url name -> (kwargs maker taking the cast and Records, {method: {role: status}})
Rows = dict[str, tuple[Any, dict[str, dict[str, int]]]]
