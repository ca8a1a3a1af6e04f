"""Who reads what, in the client's words: the access policy's answers turned into sentences.

Every sentence in the portal that tells the client who reads something is made here from
``alliance.care.access.readers`` (one answer, two faces: the page that shows the thing
asks the same policy). Each wording is a whole sentence, so that it translates well.
``tests/web/test_sharing_promises.py`` holds each one against what each person's pages
really show.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alliance.accounts.models import User
from alliance.care.access import Part, Reader, Sharing, episodes_reachable_by, readers
from alliance.care.models import Episode
from alliance.care.selectors import current_or_latest

THERAPIST_ONLY = frozenset({Reader.THERAPIST})
BOTH = frozenset({Reader.THERAPIST, Reader.SUPERVISOR})


def audience(part: Part, episode: Episode, sharing: Sharing | None = None) -> str:
    """Who reads this thing, short, for a list or a table: "Only you", "You and your therapist"…"""
    found = readers(part, episode, sharing)
    if not found:
        return _("Only you")
    if found == THERAPIST_ONLY:
        return _("You and your therapist")
    return _("You, your therapist and their supervisor")


def entry_audience_sentence(episode: Episode, sharing: Sharing) -> str:
    """Who reads an exercise entry, as a sentence (a private one: that it exists, not what)."""
    found = readers(Part.EXERCISE_ENTRY, episode, sharing)
    if not found:
        return _("Only you. Your therapist sees that you did it, not what you wrote.")
    if found == THERAPIST_ONLY:
        if episode.supervisor_id is not None:
            return _(
                "You and your therapist. Their supervisor sees that you did it, not what you wrote."
            )
        return _("You and your therapist.")
    return _("You, your therapist and their supervisor.")


def entry_saved_sentence(episode: Episode, sharing: Sharing) -> str:
    found = readers(Part.EXERCISE_ENTRY, episode, sharing)
    if not found:
        return _("Saved. It stays private: your therapist will only see that you did it.")
    if found == THERAPIST_ONLY:
        return _("Saved. Your therapist can read it.")
    return _("Saved. Your therapist and their supervisor can read it.")


def entry_sharing_changed_sentence(episode: Episode, sharing: Sharing) -> str:
    found = readers(Part.EXERCISE_ENTRY, episode, sharing)
    if not found:
        return _("This entry is now private.")
    if found == THERAPIST_ONLY:
        if episode.supervisor_id is not None:
            return _("Your therapist can now read this entry; their supervisor cannot.")
        return _("Your therapist can now read this entry.")
    return _("Your therapist and their supervisor can now read this entry.")


def preferences_saved_sentence(episode: Episode, sharing: Sharing) -> str:
    found = readers(Part.PREFERENCES, episode, sharing)
    if not found:
        return _("Saved. They stay private to you until you choose to share them.")
    if found == THERAPIST_ONLY:
        return _("Thank you. Your therapist will see how you'd like to work.")
    return _("Thank you. Your therapist and their supervisor will see how you'd like to work.")


def agenda_added_sentence(episode: Episode) -> str:
    if Reader.SUPERVISOR in readers(Part.AGENDA, episode):
        return _(
            "Added. Your therapist will see it before your session, and their supervisor can "
            "read it too."
        )
    return _("Added. Your therapist will see it before your session.")


def choice_label(sharing: Sharing, episode: Episode) -> str:
    """One option of a sharing choice, naming the people."""
    if sharing is Sharing.PRIVATE:
        return _("Only me")
    if sharing is Sharing.THERAPIST:
        return _("Me and my therapist, %(therapist)s") % {
            "therapist": episode.therapist.display_name
        }
    supervisor = episode.supervisor.display_name if episode.supervisor is not None else ""
    return _("Me, my therapist %(therapist)s and their supervisor, %(supervisor)s") % {
        "therapist": episode.therapist.display_name,
        "supervisor": supervisor,
    }


def sharing_choices(episode: Episode) -> list[tuple[str, str]]:
    """The options offered: "also the supervisor" only when the episode has one."""
    from alliance.care.access import may_offer_supervisor_sharing

    offered = [Sharing.PRIVATE, Sharing.THERAPIST]
    if may_offer_supervisor_sharing(episode):
        offered.append(Sharing.SUPERVISOR)
    return [(sharing.value, choice_label(sharing, episode)) for sharing in offered]


def sharing_field(
    episode: Episode, *, label: Any, initial: Sharing, required: bool = True
) -> forms.ChoiceField:
    """A choice of who reads one thing (``required`` False: nothing chosen is "only me")."""
    return forms.ChoiceField(
        label=label,
        choices=sharing_choices(episode),
        initial=initial.value,
        required=required,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Please choose who may read this."),
            "invalid_choice": gettext_lazy("Please choose one of the people offered."),
        },
    )


def part_sentence(part: Part, episode: Episode) -> str:
    """The sentence a portal page says about who reads a part that is not the client's choice."""
    supervised = Reader.SUPERVISOR in readers(part, episode)
    if part is Part.CHECKIN:
        if supervised:
            return _(
                "Your answers go to your therapist. Their supervisor can read them too, to "
                "support your care."
            )
        return _("Your answers go to your therapist.")
    if part is Part.MESSAGES:
        name = episode.therapist.display_name
        if supervised:
            return _(
                "A private conversation with %(name)s. Your therapist's supervisor can read it "
                "too, to support your care."
            ) % {"name": name}
        return _("A private conversation between you and %(name)s.") % {"name": name}
    if part is Part.AGENDA:
        if supervised:
            return _(
                "Your therapist sees your list before you meet. Their supervisor can read it "
                "too, to support your care."
            )
        return _("Your therapist sees your list before you meet.")
    if part is Part.PLAN:
        if supervised:
            return _(
                "You and your therapist read and write it. Their supervisor can read it too, to "
                "support your care."
            )
        return _("You and your therapist read and write it.")
    raise ValueError(f"{part} is chosen by the client, or has its own sentence")


def safety_plan_sentence(client: User) -> str:
    """Who reads the client's safety plan: it outlives episodes, so everyone who treats or
    supervises them here now, and those of their other courses of care."""
    episodes = list(episodes_reachable_by(client))
    current = current_or_latest(episodes)
    if current is None:
        return _("Only you can read it until you start seeing a therapist here.")
    supervised = Reader.SUPERVISOR in readers(Part.SAFETY_PLAN, current)
    others = len(episodes) > 1
    if supervised and others:
        return _(
            "Your therapist and their supervisor can read it, to support your care, and so can "
            "the therapists (and supervisors) of your other courses of care here."
        )
    if supervised:
        return _("Your therapist and their supervisor can read it, to support your care.")
    if others:
        return _(
            "Your therapist can read it, to support your care, and so can the therapists (and "
            "supervisors) of your other courses of care here."
        )
    return _("Your therapist can read it, to support your care.")
