"""The whole record: the client's own page (me/…) and the practice admin's (practice/…)."""

from django.urls import URLPattern, path

from alliance.web.views import records

urlpatterns: list[URLPattern] = [
    path("me/record/", records.my_record, name="my_record"),
    path("me/record/download/", records.my_record_download, name="my_record_download"),
    path(
        "me/record/copy-request/",
        records.my_record_copy_request,
        name="my_record_copy_request",
    ),
    path(
        "me/record/copy-request/withdraw/",
        records.my_record_copy_withdraw,
        name="my_record_copy_withdraw",
    ),
    path(
        "me/record/erasure-request/",
        records.my_record_erasure_request,
        name="my_record_erasure_request",
    ),
    path("practice/records/", records.practice_records, name="practice_records"),
    path("practice/people/<int:user_id>/record/", records.person_record, name="person_record"),
    path(
        "practice/people/<int:user_id>/record/download/",
        records.person_record_download,
        name="person_record_download",
    ),
    path("practice/people/<int:user_id>/record/erase/", records.person_erase, name="person_erase"),
]
