from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "alliance.safety"
    label = "safety"
    verbose_name = "Safety"
