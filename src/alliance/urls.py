from django.urls import include, path

from alliance.web.views import portal, practice, profile, progress, public, reports, workspace

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", public.healthz, name="healthz"),
    path("language/", public.language_switch, name="language_switch"),
    path("invitations/<str:token>/", public.invitation_accept, name="invitation_accept"),
    path("accounts/", include("allauth.account.urls")),
    path("accounts/two-factor/", include("allauth.mfa.urls")),
    path(
        "accounts/sessions/<int:session_id>/end/",
        profile.user_session_end,
        name="user_session_end",
    ),
    path("accounts/sessions/", include("allauth.usersessions.urls")),
    path("profile/", profile.profile_edit, name="profile"),
    path("profile/api-tokens/", profile.api_tokens, name="api_tokens"),
    path(
        "profile/api-tokens/<int:token_id>/revoke/",
        profile.api_token_revoke,
        name="api_token_revoke",
    ),
    # Client portal
    path("me/", portal.portal_home, name="portal_home"),
    path("me/progress/", progress.my_progress, name="my_progress"),
    path("me/record-access/", portal.my_access_log, name="my_access_log"),
    path("me/check-ins/<int:administration_id>/", portal.checkin_fill, name="checkin_fill"),
    path("me/check-ins/<int:administration_id>/done/", portal.checkin_done, name="checkin_done"),
    # Clinician workspace
    path("clinic/", workspace.caseload, name="caseload"),
    path("clinic/invite/", workspace.client_invite, name="client_invite"),
    path("clinic/clients/<int:client_id>/", workspace.client_record, name="client_record"),
    path(
        "clinic/clients/<int:client_id>/progress/",
        progress.client_progress,
        name="client_progress",
    ),
    path(
        "clinic/episodes/<int:episode_id>/sessions/new/",
        workspace.session_add,
        name="session_add",
    ),
    path(
        "clinic/sessions/<int:session_id>/prepare/",
        workspace.session_prepare,
        name="session_prepare",
    ),
    path("clinic/episodes/<int:episode_id>/close/", workspace.episode_close, name="episode_close"),
    path(
        "clinic/episodes/<int:episode_id>/schedule/", workspace.schedule_edit, name="schedule_edit"
    ),
    path(
        "clinic/episodes/<int:episode_id>/questionnaires/new/",
        workspace.questionnaire_request,
        name="questionnaire_request",
    ),
    path("clinic/responses/<int:response_id>/", workspace.response_detail, name="response_detail"),
    path("clinic/responses/<int:response_id>/fhir/", workspace.response_fhir, name="response_fhir"),
    path("clinic/alerts/", workspace.alert_list, name="alert_list"),
    path("clinic/alerts/<int:alert_id>/", workspace.alert_detail, name="alert_detail"),
    path(
        "clinic/alerts/<int:alert_id>/acknowledge/",
        workspace.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("clinic/alerts/<int:alert_id>/resolve/", workspace.alert_resolve, name="alert_resolve"),
    # Practice administration
    path("practice/", practice.people, name="practice_people"),
    path("practice/invite/", practice.staff_invite, name="staff_invite"),
    path(
        "practice/invitations/<int:invitation_id>/withdraw/",
        practice.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        "practice/people/<int:user_id>/active/",
        practice.person_set_active,
        name="person_set_active",
    ),
    path("practice/audit/", practice.audit_log, name="audit_log"),
    path("", include("alliance.web.routes.webhooks")),
    # The client's voice: plan and goals, preferences, exercises, messages, safety plan
    path("", include("alliance.web.routes.plans")),
    path("", include("alliance.web.routes.preferences")),
    path("", include("alliance.web.routes.exercises")),
    path("", include("alliance.web.routes.messaging")),
    path("", include("alliance.web.routes.safety")),
    # After a session: the private note and the shared summary
    path("", include("alliance.web.routes.notes")),
    # The whole record: the client's copy, and erasure at their request
    path("", include("alliance.web.routes.records")),
    # The FHIR R4 API (read only, personal API tokens)
    path("", include("alliance.web.routes.fhir")),
    # The JSON API for what FHIR does not cover (bearer tokens, OpenAPI 3.1)
    path("", include("alliance.web.routes.api_v1")),
    # SMART EHR launch: an EHR opens a client's record in Alliance
    path("", include("alliance.web.routes.smart")),
    # OAuth 2.0 for apps acting for a person (SMART App Launch 2)
    path("", include("alliance.web.routes.oauth")),
    # De-identified reports (supervisors and the practice admin)
    path("reports/outcomes/", reports.practice_report, name="practice_report"),
    path("reports/alert-accuracy/", reports.alert_accuracy, name="alert_accuracy"),
]

handler400 = "alliance.web.views.errors.bad_request"
handler403 = "alliance.web.views.errors.permission_denied"
handler404 = "alliance.web.views.errors.page_not_found"
handler500 = "alliance.web.views.errors.server_error"
# allauth's rate limits look this name up on the root URLconf.
handler429 = "alliance.web.views.errors.too_many_requests"
