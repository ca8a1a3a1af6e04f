"""Work for the task-queue worker: the e-mail notice of a new message."""

from __future__ import annotations

from django_tasks import task

from alliance.messaging.services import message_notice_send


@task()
def send_message_notice(message_id: int, link: str) -> str:
    return message_notice_send(message_id, link)
