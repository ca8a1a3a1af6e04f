from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    # The database cache holds login rate-limit counters shared by every worker
    # process; creating its table with the schema keeps set-up to one command.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class WebConfig(AppConfig):
    name = "alliance.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from django.apps import apps

        # post_migrate is sent only for apps with models; this one has none, so listen
        # for the accounts app, which every installation migrates.
        post_migrate.connect(_create_cache_table, sender=apps.get_app_config("accounts"))
