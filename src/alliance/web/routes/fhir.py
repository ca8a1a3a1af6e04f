"""The FHIR R4 API (read only, bearer tokens): alliance.web.views.fhir."""

from django.urls import path

from alliance.web.views import fhir

urlpatterns = [
    path("fhir/R4/metadata", fhir.metadata, name="fhir_metadata"),
    path("fhir/R4/<str:resource>", fhir.resource_search, name="fhir_search"),
    path("fhir/R4/<str:resource>/<str:resource_id>", fhir.resource_read, name="fhir_read"),
]
