"""One e-mail to one person, in their language; a failure is logged by its kind only.

Every e-mail Alliance sends is free of health information; the log line names what was
being sent (an id at most) and the kind of error, never the address or the content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.mail import send_mail
from django.utils import translation

logger = logging.getLogger("alliance.mail")


def send_in_language(
    *,
    address: str,
    language: str,
    subject: Callable[[], str],
    body: Callable[[], str],
    what: str,
) -> bool:
    """Send it; False if the mail server refused. ``subject`` and ``body`` are made inside
    the person's language (they call gettext, format dates, render templates)."""
    try:
        with translation.override(language):
            send_mail(subject=subject(), message=body(), from_email=None, recipient_list=[address])
    except Exception as error:
        logger.warning("%s: e-mail could not be sent (%s)", what, type(error).__name__)
        return False
    return True
