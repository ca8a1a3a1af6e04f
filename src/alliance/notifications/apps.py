from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "alliance.notifications"
    label = "notifications"
    verbose_name = "Notifications"
