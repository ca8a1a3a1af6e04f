"""Append-only, keyed and chained audit events.

Each event stores who did what to which client's record, when and from where —
never clinical content. Every row carries an HMAC-SHA-256, under a key kept outside the
database (``ALLIANCE_AUDIT_KEYS``), of its own fields and of the row before it, and the
id of the key that signed it; so editing, deleting or inserting rows by hand breaks the
chain, and without the key it cannot be made to add up again (``alliance verify-audit``).
Checkpoints of the head written outside the database show a rollback
(``alliance.audit.checkpoints``). People and records are referred to by id, not by
foreign key, so that nothing done to other tables can rewrite a stored row.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Action(models.TextChoices):
    VIEWED = "viewed", _("opened the record")
    LOGGED_IN = "logged_in", _("signed in")
    LOGGED_OUT = "logged_out", _("signed out")
    LOGIN_FAILED = "login_failed", _("failed to sign in")
    PASSWORD_CHANGED = "password_changed", _("changed their password")
    PASSWORD_RESET = "password_reset", _("reset their password")
    PROFILE_UPDATED = "profile_updated", _("updated their profile")
    EMAIL_CHANGED = "email_changed", _("changed their e-mail address")
    MFA_ADDED = "mfa_added", _("added a second sign-in step")
    MFA_REMOVED = "mfa_removed", _("removed a second sign-in step")
    MFA_RESET = "mfa_reset", _("made new recovery codes")
    MFA_FAILED = "mfa_failed", _("entered a wrong sign-in code")
    SESSION_ENDED = "session_ended", _("signed out another session")
    INVITATION_CREATED = "invitation_created", _("sent an invitation")
    INVITATION_REVOKED = "invitation_revoked", _("withdrew an invitation")
    INVITATION_ACCEPTED = "invitation_accepted", _("accepted an invitation")
    ACCOUNT_CREATED = "account_created", _("created an account")
    ACCOUNT_DEACTIVATED = "account_deactivated", _("deactivated an account")
    ACCOUNT_REACTIVATED = "account_reactivated", _("reactivated an account")
    EPISODE_OPENED = "episode_opened", _("opened an episode of care")
    EPISODE_CLOSED = "episode_closed", _("closed an episode of care")
    SESSION_SCHEDULED = "session_scheduled", _("scheduled a session")
    SCHEDULE_CHANGED = "schedule_changed", _("changed the check-in schedule")
    QUESTIONNAIRE_REQUESTED = "questionnaire_requested", _("asked for a questionnaire")
    RESPONSE_SUBMITTED = "response_submitted", _("submitted a questionnaire")
    RESPONSE_EXPORTED = "response_exported", _("exported a response")
    ALERT_RAISED = "alert_raised", _("an alert was raised")
    ALERT_ACKNOWLEDGED = "alert_acknowledged", _("acknowledged an alert")
    ALERT_RESOLVED = "alert_resolved", _("resolved an alert")
    # plans
    GOAL_PROPOSED = "goal_proposed", _("proposed a goal")
    GOAL_AGREED = "goal_agreed", _("agreed a goal")
    GOAL_CHANGED = "goal_changed", _("changed a goal")
    GOAL_RATED = "goal_rated", _("rated progress on a goal")
    PLAN_CHANGED = "plan_changed", _("changed the treatment plan")
    # preferences
    PREFERENCES_UPDATED = "preferences_updated", _("updated treatment preferences")
    AGENDA_ITEM_ADDED = "agenda_item_added", _("added an agenda item")
    CULTURAL_PROFILE_UPDATED = "cultural_profile_updated", _("updated the cultural profile")
    AGENDA_ITEM_WITHDRAWN = "agenda_item_withdrawn", _("withdrew an agenda item")
    AGENDA_ITEM_DISCUSSED = "agenda_item_discussed", _("marked an agenda item as talked about")
    # exercises
    EXERCISE_ASSIGNED = "exercise_assigned", _("assigned an exercise")
    EXERCISE_COMPLETED = "exercise_completed", _("completed an exercise")
    EXERCISE_SHARING_CHANGED = "exercise_sharing_changed", _("changed who sees an exercise entry")
    EXERCISE_WITHDRAWN = "exercise_withdrawn", _("withdrew an exercise")
    # messaging
    MESSAGE_SENT = "message_sent", _("sent a message")
    OFFICE_HOURS_CHANGED = "office_hours_changed", _("changed office hours")
    # safety
    SAFETY_PLAN_UPDATED = "safety_plan_updated", _("updated the safety plan")
    # notes (after a session: the private note and the shared summary)
    NOTE_SAVED = "note_saved", _("saved a draft of a private note")
    NOTE_SIGNED = "note_signed", _("signed a private note")
    NOTE_ADDENDUM_ADDED = "note_addendum_added", _("added to a signed private note")
    SUMMARY_SAVED = "summary_saved", _("saved a draft of a session summary")
    SUMMARY_SIGNED = "summary_signed", _("signed a session summary")
    SUMMARY_ADDENDUM_ADDED = "summary_addendum_added", _("added to a signed session summary")
    SUMMARY_REPLIED = "summary_replied", _("replied to a session summary")
    SUMMARY_REPLY_ANSWERED = "summary_reply_answered", _("answered a reply to a session summary")
    # records (the whole record: export and erasure)
    RECORD_EXPORTED = "record_exported", _("downloaded a copy of the whole record")
    ERASURE_REQUESTED = "erasure_requested", _("asked for the record to be erased")
    COPY_REQUESTED = "copy_requested", _("asked the practice for a copy of the record")
    COPY_REQUEST_WITHDRAWN = "copy_request_withdrawn", _("withdrew a request for a copy")
    CLIENT_ERASED = "client_erased", _("erased a client's record")
    REQUESTS_VIEWED = "requests_viewed", _("opened the page of your requests for a copy or erasure")
    # the FHIR API (the target names the token by its prefix)
    API_TOKEN_CREATED = "api_token_created", _("made an API token")
    API_TOKEN_REVOKED = "api_token_revoked", _("revoked an API token")
    API_READ = "api_read", _("read the record through the API")
    # alert webhooks (the target is the webhook)
    WEBHOOK_ADDED = "webhook_added", _("added a webhook")
    WEBHOOK_REMOVED = "webhook_removed", _("removed a webhook")
    # the audit log itself (the target is the last row re-keyed or removed)
    CHAIN_REKEYED = "chain_rekeyed", _("signed the audit log with its key")
    AUDIT_PRUNED = "audit_pruned", _("removed audit entries past their retention")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    def prune_through(self, seq: int) -> int:
        """The one way events leave the log: the oldest, up to row ``seq``, past their
        retention. Only ``audit_prune`` calls it, which records the pruning in the chain."""
        count, _by_model = models.QuerySet.delete(self.filter(seq__lte=seq))
        return count


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    # No choices on the column: new kinds of event need no migration.
    action = models.CharField(max_length=40)
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which of ALLIANCE_AUDIT_KEYS signed the row (alliance.audit.chain.key_id), not the key.
    key_id = models.CharField(max_length=16, blank=True, default="", db_default="")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["actor_id", "occurred_at"])]

    def __str__(self) -> str:
        return f"audit #{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events are append-only.")

    @property
    def action_label(self) -> str:
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action


class AuditChainHead(models.Model):
    """One row: the sequence number and hash of the newest event, and of the last event
    pruned after its retention (the chain now starts after it).

    Writers lock it, so events are chained one at a time; and it shows when rows
    were removed from the end of the chain.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    pruned_seq = models.PositiveBigIntegerField(default=0)
    pruned_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
