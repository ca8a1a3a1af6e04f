from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "alliance.records"
    label = "records"
    verbose_name = "Records"
