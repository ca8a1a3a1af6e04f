from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "alliance.exercises"
    label = "exercises"
    verbose_name = "Exercises"

    def ready(self) -> None:
        # Every process (web, worker, CLI) knows the exercise forms from startup.
        from alliance.exercises.catalogue import register_exercises

        register_exercises()
