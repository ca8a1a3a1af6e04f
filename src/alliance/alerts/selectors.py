from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from alliance.alerts.models import Alert, AlertKind, AlertStatus

if TYPE_CHECKING:
    from alliance.accounts.models import User


def alerts_for_caseload(user: User) -> QuerySet[Alert]:
    """Alerts on the episodes this clinician treats or supervises."""
    return Alert.objects.filter(
        Q(episode__therapist=user) | Q(episode__supervisor=user)
    ).select_related("client", "episode")


def urgent_alerts_for(user: User) -> QuerySet[Alert]:
    """Open risk alerts: the banner on every page of the workspace until acknowledged."""
    return alerts_for_caseload(user).filter(kind=AlertKind.RISK, status=AlertStatus.OPEN)
