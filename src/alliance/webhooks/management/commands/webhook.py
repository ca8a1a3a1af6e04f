from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.webhooks.models import Webhook, WebhookEvent
from alliance.webhooks.selectors import webhooks_with_last_status
from alliance.webhooks.services import webhook_create, webhook_ping, webhook_remove


class Command(BaseCommand):
    help = (
        "Alert webhooks (README, Webhooks). `add NAME --url URL --events E,E` registers "
        "one and prints its signing secret once, alone on the last line; `list` shows them "
        "with their last delivery; `remove ID` deletes one; `test ID` queues a ping event. "
        f"Events: {', '.join(WebhookEvent.values)}. Deliveries are sent by `alliance worker`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        add = commands.add_parser("add", help="register a webhook")
        add.add_argument("name", help="what the practice calls it")
        add.add_argument("--url", required=True, help="an https:// address")
        add.add_argument(
            "--events",
            default=",".join(WebhookEvent.values),
            help="comma-separated (default: all alert events)",
        )
        commands.add_parser("list", help="the webhooks and their last delivery")
        for name, what in (("remove", "delete a webhook"), ("test", "send a ping event")):
            sub = commands.add_parser(name, help=what)
            sub.add_argument("id", type=int, help="the webhook's id")

    def handle(self, *args: Any, **options: Any) -> None:
        command = options["command"]
        if command == "add":
            self._add(options["name"], options["url"], options["events"])
        elif command == "list":
            self._list()
        else:
            webhook = Webhook.objects.filter(pk=options["id"]).first()
            if webhook is None:
                raise CommandError(f"No webhook {options['id']}.")
            if command == "remove":
                webhook_remove(actor=None, webhook=webhook)
                self.stdout.write(f"Webhook {webhook.pk} is removed.")
            else:
                delivery = webhook_ping(webhook)
                self.stdout.write(
                    f"Ping {delivery.pk} queued for webhook {webhook.pk}; "
                    "`alliance webhook list` shows how it went."
                )

    def _add(self, name: str, url: str, events: str) -> None:
        wanted = [event.strip() for event in events.split(",") if event.strip()]
        try:
            webhook, secret = webhook_create(actor=None, name=name, url=url, events=wanted)
        except ValidationError as refused:
            raise CommandError("No webhook added: " + " ".join(refused.messages)) from None
        self.stdout.write(
            f"Webhook {webhook.pk} ({webhook.url}) for {', '.join(webhook.events)}. "
            "Its signing secret is shown only now:"
        )
        self.stdout.write(secret)

    def _list(self) -> None:
        rows = list(webhooks_with_last_status())
        if not rows:
            self.stdout.write("No webhooks.")
        for webhook in rows:
            state = "active" if webhook.active else "inactive"
            last = getattr(webhook, "last_status", None) or "no deliveries yet"
            code = getattr(webhook, "last_code", None)
            if code is not None:
                last = f"{last} (HTTP {code})"
            self.stdout.write(
                f"{webhook.pk}\t{webhook.name}\t{webhook.url}\t{','.join(webhook.events)}\t"
                f"{state}\tlast: {last}"
            )
