"""The treatment-preference items: each a choice between two ways of working.

The dimensions echo the Cooper-Norcross Inventory of Preferences (C-NIP): Cooper, M. &
Norcross, J. C. (2016). A brief, multidimensional measure of clients' therapy
preferences: The Cooper-Norcross Inventory of Preferences (C-NIP). International Journal
of Clinical and Health Psychology, 16(1), 87-98. The wording here is our own, in plain
language for clients; this is not the C-NIP and is not scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as Promise
else:
    from django.utils.functional import Promise

LEFT = "left"
BETWEEN = "between"
RIGHT = "right"
NO_PREFERENCE = "none"
ANSWERS = (LEFT, BETWEEN, RIGHT, NO_PREFERENCE)


@dataclass(frozen=True)
class PreferenceItem:
    code: str
    question: Promise
    # A short name for the therapist's compact view.
    topic: Promise
    left: Promise
    right: Promise

    def choices(self) -> list[tuple[str, Promise]]:
        return [
            (LEFT, self.left),
            (BETWEEN, _("Somewhere in between")),
            (RIGHT, self.right),
            (NO_PREFERENCE, _("No preference")),
        ]

    def answer_label(self, answer: str) -> Promise | None:
        return dict(self.choices()).get(answer)


ITEMS: tuple[PreferenceItem, ...] = (
    PreferenceItem(
        "structure",
        _("How would you like our sessions to run?"),
        _("Structure"),
        _("With a clear plan for each session"),
        _("Open, with room for whatever comes up"),
    ),
    PreferenceItem(
        "time_focus",
        _("Where would you like us to put the focus?"),
        _("Focus in time"),
        _("On my past and how it shaped me"),
        _("On my life now and what lies ahead"),
    ),
    PreferenceItem(
        "between_sessions",
        _("Would you like things to try between sessions?"),
        _("Between-session work"),
        _("Yes, exercises to try between sessions are welcome"),
        _("No, I'd rather keep the work to our sessions"),
    ),
    PreferenceItem(
        "style",
        _("How would you like your therapist to be with you?"),
        _("Style"),
        _("Gentle and supportive"),
        _("Direct, and willing to challenge me"),
    ),
    PreferenceItem(
        "lead",
        _("Who would you like to lead the sessions?"),
        _("Who leads"),
        _("My therapist leads"),
        _("I lead"),
    ),
    PreferenceItem(
        "emphasis",
        _("What would help you more?"),
        _("Emphasis"),
        _("Making sense of my feelings"),
        _("Finding practical solutions"),
    ),
)
ITEMS_BY_CODE = {item.code: item for item in ITEMS}


@dataclass(frozen=True)
class CulturalPart:
    code: str
    label: Promise
    help: Promise


# In the client's own words, only as much as they choose; every part is optional.
CULTURAL_PARTS: tuple[CulturalPart, ...] = (
    CulturalPart(
        "background",
        _("How I describe my background or identity"),
        _("For example where you or your family come from, your community, or who you are."),
    ),
    CulturalPart(
        "beliefs",
        _("Beliefs, faith or values that matter to my care"),
        _("Anything your beliefs or values mean for how you'd like to be helped."),
    ),
    CulturalPart(
        "family",
        _("Family and community"),
        _("The people who matter to you, and the part they play in your life."),
    ),
    CulturalPart(
        "understand",
        _("What I'd like my therapist to understand about me"),
        _("Something that would help your therapist understand your world."),
    ),
    CulturalPart(
        "languages",
        _("Languages I'm most comfortable in"),
        _("For example the language you think or feel in, or speak at home."),
    ),
)
CULTURAL_CODES = tuple(part.code for part in CULTURAL_PARTS)
