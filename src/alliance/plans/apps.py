from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "alliance.plans"
    label = "plans"
    verbose_name = "Treatment plans"
