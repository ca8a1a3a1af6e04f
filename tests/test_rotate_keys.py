from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connection

from alliance.accounts.mfa import totp_secret_of
from alliance.alerts.models import Alert
from alliance.alerts.services import alert_acknowledge
from alliance.checkins.services import response_submit
from alliance.lib import crypto
from alliance.measures.services import administration_request
from tests.conftest import TOTP_SECRET, Cast

OLD = b"o" * 32
NEW = b"n" * 32


def raw(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return str(cursor.fetchone()[0])


def test_rotate_keys_reencrypts_everything_under_the_first_key(
    cast: Cast, settings: Any, capsys: Any
) -> None:
    development_key = settings.FIELD_KEYS[0]
    settings.FIELD_KEYS = [OLD]
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(actor=cast.dana, administration=administration, answers=[0] * 8 + [1])
    alert_acknowledge(actor=cast.alice, alert=Alert.objects.get(), note="Called the same day.")
    assert raw("SELECT acknowledgement_note FROM alerts_alert").startswith(
        f"v1:{crypto.key_id(OLD)}:"
    )

    # The cast's staff got their authenticator secrets under the development key.
    settings.FIELD_KEYS = [NEW, OLD, development_key]
    call_command("rotate-keys")
    # One note and the four staff members' authenticator secrets.
    assert "5 values re-encrypted" in capsys.readouterr().out
    stored = raw("SELECT acknowledgement_note FROM alerts_alert")
    assert stored.startswith(f"v1:{crypto.key_id(NEW)}:")

    settings.FIELD_KEYS = [NEW]  # the old key can go now
    assert Alert.objects.get().acknowledgement_note == "Called the same day."
    assert totp_secret_of(cast.alice) == TOTP_SECRET
    call_command("rotate-keys")
    assert "0 values re-encrypted" in capsys.readouterr().out
