from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "alliance.preferences"
    label = "preferences"
    verbose_name = "Preferences and cultural profile"
