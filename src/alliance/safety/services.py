"""Writing the safety plan: every save is a new version, and a stale edit never wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.safety.models import SafetyPlan, SafetyPlanVersion
from alliance.safety.steps import MAX_ENTRIES_PER_STEP, MAX_ENTRY_CHARS, STEP_KEYS, STEPS

if TYPE_CHECKING:
    from datetime import datetime

    from alliance.accounts.models import User


class StaleEdit(Exception):
    """Someone saved a newer version after this edit began; nothing was saved."""

    def __init__(self, current: SafetyPlanVersion) -> None:
        super().__init__("stale edit")
        self.current = current


def safety_steps_clean(steps: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Entries trimmed and empty ones dropped, within the limits; else a message per step."""
    unknown = set(steps) - set(STEP_KEYS)
    if unknown:
        raise ValidationError(_("The plan has a part this app does not know."))
    cleaned: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for step in STEPS:
        entries = [" ".join(str(entry).split()) for entry in steps.get(step.key, [])]
        entries = [entry for entry in entries if entry]
        if len(entries) > MAX_ENTRIES_PER_STEP:
            errors[step.key] = _(
                "Please keep to %(most)s lines here (there are %(count)s). "
                "Choose the ones that help most."
            ) % {"most": MAX_ENTRIES_PER_STEP, "count": len(entries)}
        elif any(len(entry) > MAX_ENTRY_CHARS for entry in entries):
            errors[step.key] = _(
                "Each line can be up to %(most)s characters. Please split a long line in two "
                "or shorten it."
            ) % {"most": MAX_ENTRY_CHARS}
        cleaned[step.key] = entries
    if errors:
        raise ValidationError(errors)
    if not any(cleaned.values()):
        raise ValidationError(_("Write at least one thing in any of the steps before saving."))
    return cleaned


@transaction.atomic
def safety_plan_save(
    *,
    actor: User,
    client: User,
    steps: Mapping[str, Sequence[str]],
    based_on: int,
    created_at: datetime | None = None,
    context: AuditContext | None = None,
) -> SafetyPlanVersion:
    """Save the plan as a new version, if it is still the version this edit started from.

    ``based_on`` is the number of the version the person was looking at (0 for a first
    plan). If someone saved since, nothing is stored and ``StaleEdit`` carries the newer
    version so that the person can merge. A save that changes nothing makes no version.
    """
    if not access.may_edit_safety_plan(actor, client):
        raise PermissionDenied
    cleaned = safety_steps_clean(steps)
    plan, _created = SafetyPlan.objects.get_or_create(client=client)
    plan = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    current = plan.current
    if plan.current_number != based_on:
        if current is None:  # pragma: no cover - a plan row always has a version
            raise ValidationError(_("Please reload the page and try again."))
        raise StaleEdit(current)
    if current is not None and current.steps == cleaned:
        return current
    version = SafetyPlanVersion.objects.create(
        plan=plan,
        number=plan.current_number + 1,
        steps=cleaned,
        author=actor,
        created_at=created_at or timezone.now(),
    )
    plan.current_number = version.number
    plan.save(update_fields=["current_number"])
    audit_record(
        actor=actor,
        action=Action.SAFETY_PLAN_UPDATED,
        client_id=client.pk,
        target_type="safety_plan_version",
        target_id=version.pk,
        context=context,
    )
    return version
