"""The seven steps of the safety plan, in the order a person reaches for them in a crisis.

The structure follows the Safety Planning Intervention: Stanley B. & Brown G.K. (2012),
"Safety Planning Intervention: a brief intervention to mitigate suicide risk",
Cognitive and Behavioral Practice 19(2):256-264. The steps go from what a person can do
alone to asking others, so that each step is there if the one before did not help.
All wording (headings, prompts, hints) is our own, written for this app; it is not the
text of the published form.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Limits that keep a plan readable on a phone and printable on a page or two.
MAX_ENTRY_CHARS = 200
MAX_ENTRIES_PER_STEP = 10


@dataclass(frozen=True)
class Step:
    key: str
    number: int
    title: str | Promise
    prompt: str | Promise
    example: str | Promise


STEPS: tuple[Step, ...] = (
    Step(
        "warning_signs",
        1,
        _("Signs that a hard time may be coming"),
        _("Thoughts, feelings, situations or things I do that tell me things are getting harder."),
        _("For example: I stop answering messages; I can't sleep; I feel like a burden."),
    ),
    Step(
        "coping_alone",
        2,
        _("Things I can do on my own to take my mind off things"),
        _("Small things that help me get through a difficult moment without anyone else."),
        _("For example: a walk around the block; a hot shower; a playlist I love."),
    ),
    Step(
        "people_places",
        3,
        _("People and places that help me feel better"),
        _("People I like being around, and places where I can be among others for a while."),
        _("For example: coffee with my neighbour; the library; the park by the river."),
    ),
    Step(
        "people_to_ask",
        4,
        _("People I can ask for help"),
        _("People I trust to tell that I am having a hard time, and how to reach them."),
        _("For example: my sister Ana, 555 0123; my friend Sam, any time after six."),
    ),
    Step(
        "professionals",
        5,
        _("Professionals and services I can contact"),
        _(
            "The crisis lines below are always here. Add the people who care for you, such as "
            "your therapist or your doctor, and how to reach them."
        ),
        _("For example: my doctor's surgery, 555 0199, weekdays 8 to 6."),
    ),
    Step(
        "safer_surroundings",
        6,
        _("Making my surroundings safer"),
        _("Things I can do, or ask someone to do, so that what could hurt me is out of reach."),
        _("For example: ask my brother to keep my medicines at his place."),
    ),
    Step(
        "reasons",
        7,
        _("What matters most to me and keeps me going"),
        _("My reasons for living: people, hopes, plans, things I love."),
        _("For example: my daughter; my dog Luna; seeing the sea again in the summer."),
    ),
)

STEP_KEYS: tuple[str, ...] = tuple(step.key for step in STEPS)
