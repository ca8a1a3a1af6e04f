"""Reading the safety plan. Callers have already passed alliance.care.access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from alliance.safety.models import SafetyPlan, SafetyPlanVersion

if TYPE_CHECKING:
    from alliance.accounts.models import User


def safety_plan_of(client: User) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(client=client).first()


def safety_versions_of(plan: SafetyPlan | None) -> QuerySet[SafetyPlanVersion]:
    """Newest first, with their authors."""
    if plan is None:
        return SafetyPlanVersion.objects.none()
    return plan.versions.select_related("author").order_by("-number")


def safety_current_version(client: User) -> SafetyPlanVersion | None:
    return (
        SafetyPlanVersion.objects.filter(plan__client=client)
        .select_related("author")
        .order_by("-number")
        .first()
    )
