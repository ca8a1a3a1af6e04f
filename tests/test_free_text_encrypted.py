"""Every column that can hold words a person wrote is encrypted at rest.

Each app's sentinel test proves its encrypted fields leave no plaintext in the database
file. This test guards the other side: a new plain text or JSON column anywhere in
Alliance fails here until it is encrypted, or listed below with the reason it holds no
free text.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from alliance.fields import EncryptedJSONField, EncryptedTextField

NOT_FREE_TEXT = {
    # Sign-in and addressing people; needed in clear for login, lookups and e-mail.
    "accounts.User.password": "a password hash",
    "accounts.User.email": "the sign-in address, looked up at login",
    "accounts.User.preferred_name": "how the person is addressed on every page and e-mail",
    "accounts.User.name_key": "the preferred name folded (names.name_key), to find namesakes",
    "accounts.User.pronouns": "shown beside the name",
    "accounts.User.country": "a country code (crisis lines)",
    "accounts.User.time_zone": "an IANA time zone name chosen from a list",
    "accounts.Invitation.email": "where the invitation goes",
    "accounts.Invitation.token_hash": "a SHA-256 of the invitation token",
    # The audit chain: codes, hashes and addresses only.
    "audit.AuditEvent.actor_role": "a role code",
    "audit.AuditEvent.action": "an action code",
    "audit.AuditEvent.target_type": "a model name",
    "audit.AuditEvent.ip_address": "an IP address",
    "audit.AuditEvent.prev_hash": "a hash",
    "audit.AuditEvent.hash": "a hash",
    "audit.AuditEvent.key_id": "a key id (a hash prefix)",
    "audit.AuditChainHead.hash": "a hash",
    "audit.AuditChainHead.pruned_hash": "a hash",
    # Instruments and scores: definitions, codes and numbers computed by the engine.
    "measures.PracticeInstrument.instrument_id": "an instrument id",
    "measures.PracticeInstrument.version": "a version",
    "measures.PracticeInstrument.title": "a published instrument's title",
    "measures.PracticeInstrument.questionnaire": "a published instrument's definition",
    "measures.PracticeInstrument.source_name": "the imported file's name",
    "measures.CheckinSchedule.before_session": "instrument ids",
    "measures.CheckinSchedule.after_session": "instrument ids",
    "measures.CheckinSchedule.weekly": "instrument ids",
    "measures.Administration.instrument_id": "an instrument id",
    "measures.Administration.instrument_version": "a version",
    "measures.Administration.when": "a code",
    "measures.Response.instrument_id": "an instrument id",
    "measures.Response.instrument_version": "a version",
    "measures.Response.answers": "answer codes and weights (free-text answers: text_answers)",
    "measures.Response.band": "a band code",
    "measures.Response.subscales": "numbers",
    "measures.Response.critical": "item ids and numbers",
    "alerts.Alert.findings": "finding codes with the numbers the rules computed",
    "alerts.Alert.details": "numbers and rule names computed by the rules",
    "alerts.PracticeTrajectory.instrument_id": "an instrument id",
    "alerts.PracticeTrajectory.parameters": "fitted numbers",
    "alerts.ScoreSummary.instrument_id": "an instrument id",
    "alerts.ReportSnapshot.name": "a report's fixed name (alerts.snapshots.REPORTS)",
    "alerts.ReportSnapshot.data": "a report's practice-wide counts and rates",
    "alerts.ReportSnapshotRow.data": "one therapist's counts and rates, and their name",
    "preferences.TreatmentPreferences.answers": "choice codes (free-text answers are encrypted)",
    "exercises.Assignment.instrument_version": "a version",
    "exercises.Entry.instrument_id": "an instrument id",
    "exercises.Entry.instrument_version": "a version",
    "messaging.OfficeHours.days": "weekday numbers",
    "alerts.Alert.notification_claimed_by": "the worker holding the e-mail: host:pid",
    "api.ApiToken.prefix": "the first characters of a random token",
    "api.ApiToken.token_hash": "a SHA-256 hex digest",
    "api.ApiToken.scope": "SMART scopes, checked against their grammar",
    "notifications.ReminderSent.claimed_by": "the worker holding the reminder: host:pid",
    "messaging.MessageNotice.claimed_by": "the worker holding the notice: host:pid",
    "messaging.MessageNotice.link": "the site's address for the notice's link",
    # The EHRs a practice registered for SMART launch, and who is who in them.
    "ehr.Ehr.name": "a short name the practice admin gives an EHR",
    "ehr.Ehr.iss": "the EHR's FHIR base URL",
    "ehr.Ehr.client_id": "Alliance's public client id at the EHR",
    "ehr.Ehr.client_secret_env": "the name of an environment variable (never the secret)",
    "ehr.ExternalIdentifier.value": "an EHR's patient id, identifier or fhirUser reference",
    "webhooks.Webhook.url": "an https address the practice admin gives, no one's words",
    "webhooks.Webhook.events": "event codes chosen from a list",
    "webhooks.WebhookDelivery.event": "an event code",
    "webhooks.WebhookDelivery.payload": "ids and codes only (tests/webhooks/test_delivery.py)",
    "webhooks.WebhookDelivery.claimed_by": "the worker holding the delivery: host:pid",
    "api.BulkExport.audit_target": (
        "who read, as the access log names them: a token's prefix or api_app:<app name>"
    ),
    "api.BulkExport.claimed_by": "the worker running the export: host:pid",
    "api.BulkExport.error": "an error code (at most 40 characters)",
    "api.BulkExport.request_url": (
        "the kick-off URL, stored only once every parameter passed its check "
        "(_type, _since, _outputFormat; anything else is refused)"
    ),
    "api.BulkExport.scope": "SMART scopes, checked against their grammar",
    "api.BulkExport.types": "resource type names from the served list",
    "api.BulkExportFile.resource_type": "a resource type name from the served list",
}


def plain_text_columns() -> set[str]:
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("alliance."):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField | EncryptedJSONField):
                continue
            if not isinstance(field, models.CharField | models.TextField | models.JSONField):
                continue
            if field.choices:
                continue  # a closed set of codes
            found.add(f"{model._meta.label}.{field.name}")
    return found


def test_no_plain_column_can_hold_free_text() -> None:
    unexplained = plain_text_columns() - NOT_FREE_TEXT.keys()
    assert not unexplained, (
        f"Plain text columns that may hold what people write: {sorted(unexplained)}. "
        "Use EncryptedTextField / EncryptedJSONField, or list the column with its reason."
    )


def test_the_list_names_only_columns_that_exist() -> None:
    assert not NOT_FREE_TEXT.keys() - plain_text_columns()
