"""The client's safety plan and its versions.

One plan per client, whoever treats them: it outlives episodes of care. Each save is a
new, immutable version, so what the plan said on any day can be read back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.fields import EncryptedJSONField
from alliance.safety.steps import STEP_KEYS


class SafetyPlan(models.Model):
    client = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="safety_plan",
        verbose_name=_("client"),
    )
    # The newest version's number; writers lock this row, so two saves cannot both win.
    current_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("safety plan")
        verbose_name_plural = _("safety plans")

    def __str__(self) -> str:
        return f"Safety plan {self.pk}"

    @property
    def current(self) -> SafetyPlanVersion | None:
        return self.versions.filter(number=self.current_number).select_related("author").first()


class SafetyPlanVersion(models.Model):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # {step key: [entry, ...]} for the seven steps (alliance.safety.steps).
    steps = EncryptedJSONField(_("steps"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "-number"]
        verbose_name = _("safety plan version")
        verbose_name_plural = _("safety plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="safety_version_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="safety_version_min"),
        ]

    def __str__(self) -> str:
        return f"Safety plan {self.plan_id} version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A version is a record of what the plan said: it is never rewritten.
        if not self._state.adding:
            raise PermissionError("Safety plan versions are immutable.")
        super().save(*args, **kwargs)

    def entries(self, key: str) -> list[str]:
        value = self.steps.get(key, []) if isinstance(self.steps, dict) else []
        return [str(entry) for entry in value]

    @property
    def step_entries(self) -> list[tuple[str, list[str]]]:
        return [(key, self.entries(key)) for key in STEP_KEYS]
