"""After a session: the private note and the shared summary (clinic/…), and the client's
signed summaries (me/…)."""

from django.urls import URLPattern, path

from alliance.web.views import notes

urlpatterns: list[URLPattern] = [
    path("me/summaries/", notes.my_summaries, name="my_summaries"),
    path("me/summaries/<int:summary_id>/", notes.my_summary, name="my_summary"),
    path("clinic/sessions/<int:session_id>/note/", notes.session_note, name="session_note"),
    path(
        "clinic/sessions/<int:session_id>/summary/",
        notes.session_summary,
        name="session_summary",
    ),
]
