"""Work for the task-queue worker: the e-mail notice that a summary was signed.

``services.summary_sign`` queues it after the commit; this module imports nothing from
``services``, so the two import one way only."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_tasks import task

from alliance.mail import send_in_language
from alliance.notes.models import SessionSummary


@task()
def send_summary_notice(summary_id: int, link: str) -> str:
    return summary_notice_send(summary_id, link)


def summary_notice_send(summary_id: int, link: str) -> str:
    """E-mail the client that their therapist wrote a summary of their session: fixed
    text, no name, no date, no content, nothing about health. Only if the client wants
    reminders by e-mail (their reminder settings). Returns what happened: "sent",
    "draft", "off", "inactive" or "failed"."""
    summary = SessionSummary.objects.select_related("session__episode__client").get(pk=summary_id)
    client = summary.session.episode.client
    if not summary.is_signed:
        return "draft"
    if not client.is_active:
        return "inactive"
    if not client.reminders_enabled:
        return "off"
    if not send_in_language(
        address=client.email,
        language=client.language,
        subject=lambda: _("Your therapist has written a summary of your session"),
        body=lambda: render_to_string("notes/email/new_summary.txt", {"link": link}),
        what=f"summary notice for summary {summary_id}",
    ):
        return "failed"
    return "sent"
