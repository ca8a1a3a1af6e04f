from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "alliance.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from alliance.audit import receivers

        receivers.connect()
