"""Who reads what, in templates: each tag asks the access policy (through
``alliance.web.sharing``) and only puts its answer into words."""

from __future__ import annotations

from typing import Any

from django import template

from alliance.care.access import Part, Sharing
from alliance.web import sharing as words

register = template.Library()


@register.simple_tag
def who_reads(part: str, episode: Any) -> str:
    """The sentence about a part the client does not choose for (check-ins, messages…)."""
    return words.part_sentence(Part(part), episode)


@register.simple_tag
def audience_of(part: str, episode: Any, sharing: Sharing) -> str:
    """Short: who reads one thing the client chose for ("You and your therapist")."""
    return words.audience(Part(part), episode, sharing)


@register.simple_tag
def entry_audience(entry: Any) -> str:
    return words.entry_audience_sentence(entry.episode, entry.sharing)


@register.simple_tag
def preferences_audience(preferences: Any) -> str:
    return words.audience(Part.PREFERENCES, preferences.episode, preferences.sharing)


@register.simple_tag
def safety_plan_readers(client: Any) -> str:
    return words.safety_plan_sentence(client)
