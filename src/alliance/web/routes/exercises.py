from django.urls import URLPattern, path

from alliance.web.views import exercises

urlpatterns: list[URLPattern] = [
    path("me/exercises/", exercises.my_exercises, name="my_exercises"),
    path("me/exercises/<int:assignment_id>/new/", exercises.exercise_do, name="exercise_do"),
    path(
        "me/exercises/entries/<int:entry_id>/",
        exercises.my_exercise_entry,
        name="my_exercise_entry",
    ),
    path(
        "me/exercises/entries/<int:entry_id>/sharing/",
        exercises.exercise_entry_sharing,
        name="exercise_entry_sharing",
    ),
    path(
        "clinic/episodes/<int:episode_id>/exercises/",
        exercises.episode_exercises,
        name="episode_exercises",
    ),
    path(
        "clinic/episodes/<int:episode_id>/exercises/new/",
        exercises.exercise_assign,
        name="exercise_assign",
    ),
    path(
        "clinic/exercise-assignments/<int:assignment_id>/withdraw/",
        exercises.exercise_withdraw,
        name="exercise_withdraw",
    ),
    path(
        "clinic/exercise-entries/<int:entry_id>/",
        exercises.exercise_entry_detail,
        name="exercise_entry_detail",
    ),
]
