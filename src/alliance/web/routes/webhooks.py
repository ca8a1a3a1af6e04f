"""The practice admin's alert webhooks (practice/webhooks/…)."""

from django.urls import URLPattern, path

from alliance.web.views import webhooks

urlpatterns: list[URLPattern] = [
    path("practice/webhooks/", webhooks.webhook_list, name="webhooks"),
    path(
        "practice/webhooks/<int:webhook_id>/remove/",
        webhooks.webhook_remove,
        name="webhook_remove",
    ),
    path("practice/webhooks/<int:webhook_id>/test/", webhooks.webhook_test, name="webhook_test"),
]
