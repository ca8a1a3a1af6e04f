from django.apps import AppConfig


class EhrConfig(AppConfig):
    name = "alliance.ehr"
    label = "ehr"
    verbose_name = "EHR launch"
