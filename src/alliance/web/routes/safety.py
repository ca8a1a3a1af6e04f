"""The safety plan: the client's own pages (me/…) and the clinician's (clinic/…)."""

from django.urls import URLPattern, path

from alliance.web.views import safety

urlpatterns: list[URLPattern] = [
    path("me/safety-plan/", safety.my_safety_plan, name="my_safety_plan"),
    path("me/safety-plan/edit/", safety.my_safety_plan_edit, name="my_safety_plan_edit"),
    path(
        "me/safety-plan/versions/", safety.my_safety_plan_versions, name="my_safety_plan_versions"
    ),
    path(
        "me/safety-plan/versions/<int:number>/",
        safety.my_safety_plan_version,
        name="my_safety_plan_version",
    ),
    path(
        "clinic/clients/<int:client_id>/safety-plan/",
        safety.client_safety_plan,
        name="client_safety_plan",
    ),
    path(
        "clinic/clients/<int:client_id>/safety-plan/edit/",
        safety.client_safety_plan_edit,
        name="client_safety_plan_edit",
    ),
    path(
        "clinic/clients/<int:client_id>/safety-plan/versions/",
        safety.client_safety_plan_versions,
        name="client_safety_plan_versions",
    ),
    path(
        "clinic/clients/<int:client_id>/safety-plan/versions/<int:number>/",
        safety.client_safety_plan_version,
        name="client_safety_plan_version",
    ),
]
