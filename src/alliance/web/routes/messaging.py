from django.urls import URLPattern, path

from alliance.web.views import messaging

urlpatterns: list[URLPattern] = [
    path("me/messages/", messaging.my_messages, name="my_messages"),
    path("me/messages/<int:episode_id>/", messaging.my_thread, name="my_thread"),
    path("clinic/messages/", messaging.message_threads, name="message_threads"),
    path(
        "clinic/episodes/<int:episode_id>/messages/",
        messaging.episode_messages,
        name="episode_messages",
    ),
    path("clinic/office-hours/", messaging.office_hours, name="office_hours"),
]
