from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "alliance.exercises"
    label = "exercises"
    verbose_name = "Exercises"
