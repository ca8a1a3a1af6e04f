from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "alliance.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
