from django.urls import URLPattern, path

from alliance.web.views import preferences

urlpatterns: list[URLPattern] = [
    path("me/preferences/", preferences.my_preferences, name="my_preferences"),
    path("me/agenda/add/", preferences.agenda_add, name="agenda_add"),
    path(
        "me/agenda/<int:item_id>/withdraw/",
        preferences.agenda_withdraw,
        name="agenda_withdraw",
    ),
    path("me/cultural-profile/", preferences.my_cultural_profile, name="my_cultural_profile"),
    path(
        "clinic/agenda/<int:item_id>/talked-about/",
        preferences.agenda_discussed,
        name="agenda_discussed",
    ),
]
