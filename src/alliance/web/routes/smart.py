"""SMART EHR launch (Alliance as the app an EHR launches): alliance.web.views.smart."""

from django.urls import path

from alliance.web.views import smart

urlpatterns = [
    path("smart/launch", smart.smart_launch, name="smart_launch"),
    path("smart/callback", smart.smart_callback, name="smart_callback"),
]
