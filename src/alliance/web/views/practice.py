"""Practice administration: people, invitations and the audit log — no clinical content."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.models import Invitation, User
from alliance.accounts.services import (
    invitation_revoke,
    user_set_active,
)
from alliance.alerts.models import Alert, NotificationStatus
from alliance.audit.context import audit_context
from alliance.audit.models import AuditEvent
from alliance.care import access
from alliance.web.forms import InviteStaffForm
from alliance.web.forms_practice import AuditFilterForm, PeopleSearchForm
from alliance.web.http import AuthedRequest
from alliance.web.views.invitations import invitation_form_page


@require_GET
def people(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_manage_accounts(request.user))
    search = PeopleSearchForm(request.GET)
    page = Paginator(_accounts_found(search), 50).get_page(request.GET.get("page"))
    invitations = Invitation.objects.select_related("invited_by").filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )[:100]
    # The admin sees that alert e-mails failed (and when), never about whom or why.
    failed = Alert.objects.filter(notification=NotificationStatus.FAILED)
    return render(
        request,
        "web/practice/people.html",
        {
            "page": page,
            "page_query": _query_without_page(request),
            "search": search,
            "invitations": invitations,
            "failed_notifications": failed.count(),
            "last_failure": failed.aggregate(last=Max("notification_attempted_at"))["last"],
        },
    )


def _accounts_found(search: PeopleSearchForm) -> QuerySet[User]:
    """Every account, or those whose name or address holds the text, of the role chosen."""
    accounts = User.objects.order_by("role", "preferred_name")
    if search.is_valid():
        if text := search.cleaned_data["q"].strip():
            accounts = accounts.filter(Q(preferred_name__icontains=text) | Q(email__icontains=text))
        if search.cleaned_data["role"]:
            accounts = accounts.filter(role=search.cleaned_data["role"])
    return accounts


@require_http_methods(["GET", "POST"])
def staff_invite(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_manage_accounts(request.user))
    return invitation_form_page(
        request,
        InviteStaffForm(request.POST or None),
        "web/practice/staff_invite.html",
        lambda data: {"role": data["role"]},
    )


@require_POST
def invitation_withdraw(request: AuthedRequest, invitation_id: int) -> HttpResponse:
    access.require(access.may_manage_accounts(request.user))
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404
    try:
        invitation_revoke(actor=request.user, invitation=invitation, context=audit_context(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation is withdrawn; its link no longer works."))
    return redirect("practice_people")


@require_POST
def person_set_active(request: AuthedRequest, user_id: int) -> HttpResponse:
    access.require(access.may_manage_accounts(request.user))
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise Http404
    wanted = request.POST.get("active")
    if wanted not in ("true", "false"):
        messages.error(request, _("Choose whether the account should be active."))
        return redirect("practice_people")
    try:
        user_set_active(
            actor=request.user, user=person, active=wanted == "true", context=audit_context(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The account is updated."))
    return redirect("practice_people")


@require_GET
def audit_log(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_manage_accounts(request.user))
    filters = AuditFilterForm(request.GET)
    events = _filtered_events(filters) if filters.is_valid() else AuditEvent.objects.all()
    page = Paginator(events.order_by("-seq"), 100).get_page(request.GET.get("page"))
    actor_ids = {event.actor_id for event in page.object_list if event.actor_id}
    names = {u.pk: u for u in User.objects.filter(pk__in=actor_ids)}
    rows = [(event, names.get(event.actor_id or 0)) for event in page.object_list]
    return render(
        request,
        "web/practice/audit_log.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "page_query": _query_without_page(request),
        },
    )


def _filtered_events(filters: AuditFilterForm) -> QuerySet[AuditEvent]:
    data = filters.cleaned_data
    events = AuditEvent.objects.all()
    if data["actor"] is not None:
        events = events.filter(actor_id=data["actor"])
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["client"] is not None:
        events = events.filter(client_id=data["client"])
    # Whole days in the practice's time zone, both ends included.
    if data["since"]:
        events = events.filter(occurred_at__gte=_start_of(data["since"]))
    if data["until"]:
        events = events.filter(occurred_at__lt=_start_of(data["until"] + timedelta(days=1)))
    return events


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _query_without_page(request: AuthedRequest) -> str:
    """The filters, so that "Next" keeps them."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
