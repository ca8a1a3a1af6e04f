"""The audit chain, keyed: every event signed again, from the first, under the audit key.

Until now each event's hash was a plain SHA-256 of its fields and of the event before it,
which anyone who can write to the database could recompute after changing the log. This
migration checks the chain as it stands first, and stops if it does not hold (signing a
tampered chain would hide the tampering); then it signs every event again, in order, with
the first of ALLIANCE_AUDIT_KEYS (read from the settings: set the variable before
`alliance migrate`; with debug on, the development key), and records that as an event of
its own ("chain_rekeyed", its target the last row signed again). Going back undoes it the
same way, once the keyed chain has been checked.
"""

import hashlib
import json
from datetime import UTC

from django.db import migrations, models

GENESIS_HASH = "0" * 64


class ChainDoesNotHold(Exception):
    pass


def _fields(event):
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "client_id": event.client_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip_address": event.ip_address,
        "prev_hash": event.prev_hash,
    }


def _unkeyed(event):
    """How events were hashed before this migration (frozen here)."""
    canonical = json.dumps(_fields(event), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _keyed(key, event):
    from alliance.audit.chain import event_hmac

    return event_hmac(key, **{**_fields(event), "occurred_at": event.occurred_at})


def _check(Event, Head, db, digest, what):
    """The chain holds under ``digest`` (event -> hash or None); its head row."""
    head = Head.objects.using(db).filter(pk=1).first()
    if head is None:
        raise ChainDoesNotHold("the chain head row is missing")
    if head.pruned_seq:
        raise ChainDoesNotHold("rows were pruned; an unkeyed chain cannot start after them")
    expected, prev = 1, GENESIS_HASH
    for event in Event.objects.using(db).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected or event.prev_hash != prev or digest(event) != event.hash:
            raise ChainDoesNotHold(f"row {expected} does not hold under the {what}")
        prev = event.hash
        expected += 1
    if expected - 1 != head.seq or prev != head.hash:
        raise ChainDoesNotHold(f"row {expected - 1} is not the recorded head (row {head.seq})")
    return head


def _rewrite(Event, db, digest, key_id):
    """Every event chained again from the first with ``digest``; the last hash."""
    prev, last = GENESIS_HASH, 0
    while True:
        rows = list(Event.objects.using(db).filter(seq__gt=last).order_by("seq")[:1000])
        if not rows:
            return prev
        for event in rows:
            event.prev_hash, event.key_id = prev, key_id
            event.hash = prev = digest(event)
        Event.objects.using(db).bulk_update(rows, ["prev_hash", "key_id", "hash"])
        last = rows[-1].seq


def sign_chain(apps, schema_editor):
    from django.conf import settings
    from django.utils import timezone

    from alliance.audit.chain import key_id

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    if not Event.objects.using(db).exists():
        return
    try:
        head = _check(Event, Head, db, _unkeyed, "unkeyed SHA-256 chain")
    except ChainDoesNotHold as error:
        raise ChainDoesNotHold(
            f"The audit chain does not hold ({error}): `alliance verify-audit` on the "
            "previous version says where. Signing it now would hide that, so the upgrade "
            "stops here and nothing was changed."
        ) from None
    key = settings.AUDIT_KEYS[0]
    prev = _rewrite(Event, db, lambda event: _keyed(key, event), key_id(key))
    marker = Event(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor_id=None,
        actor_role="",
        action="chain_rekeyed",
        client_id=None,
        target_type="audit_event",
        target_id=head.seq,
        ip_address="",
        prev_hash=prev,
        key_id=key_id(key),
    )
    marker.hash = _keyed(key, marker)
    marker.save(using=db)
    head.seq, head.hash = marker.seq, marker.hash
    head.save(update_fields=["seq", "hash"])


def unsign_chain(apps, schema_editor):
    from django.conf import settings

    from alliance.audit.chain import key_for

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    db = schema_editor.connection.alias
    if not Event.objects.using(db).exists():
        return

    def keyed(event):
        key = key_for(event.key_id, settings.AUDIT_KEYS)
        return None if key is None else _keyed(key, event)

    head = _check(Event, Head, db, keyed, "keys in ALLIANCE_AUDIT_KEYS")
    head.hash = _rewrite(Event, db, _unkeyed, "")
    head.save(update_fields=["hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_alter_auditevent_action"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="pruned_hash",
            field=models.CharField(default=GENESIS_HASH, max_length=64),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="pruned_seq",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, db_default="", default="", max_length=16),
        ),
        migrations.RunPython(sign_chain, unsign_chain),
    ]
