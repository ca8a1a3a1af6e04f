"""The JSON API (``/api/v1/``, bearer tokens): alliance.web.api_v1 and its operations in
alliance.web.views.api_v1. The namespace is ninja's: it finds its own root by it."""

from django.urls import include, path

from alliance.web.api_v1 import urlpatterns as api_v1_patterns
from alliance.web.views import api_v1  # noqa: F401 (registers the operations on the API)

urlpatterns = [
    path("api/v1/", include((api_v1_patterns(), "api_v1"), namespace="api_v1")),
]
