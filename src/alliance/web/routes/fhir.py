"""The FHIR R4 API (read only, bearer tokens): alliance.web.views.fhir."""

from django.urls import path

from alliance.web.views import fhir

urlpatterns = [
    path("fhir/R4/metadata", fhir.metadata, name="fhir_metadata"),
    # Bulk Data, before the read route that would take "Patient/$export" for a read.
    path("fhir/R4/Patient/$export", fhir.export_kickoff, name="fhir_export"),
    path("fhir/R4/$export-status/<str:export_id>", fhir.export_status, name="fhir_export_status"),
    path(
        "fhir/R4/$export-file/<str:export_id>/<str:resource_type>.ndjson",
        fhir.export_file,
        name="fhir_export_file",
    ),
    path("fhir/R4/<str:resource>", fhir.resource_search, name="fhir_search"),
    path("fhir/R4/<str:resource>/<str:resource_id>", fhir.resource_read, name="fhir_read"),
]
