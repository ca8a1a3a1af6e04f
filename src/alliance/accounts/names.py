"""What a person may call themselves: their preferred name and pronouns.

Names are shown to other people (a therapist's caseload, a message thread), so a name
must not be able to disguise itself or the text around it:

- it is kept in NFC, so that the same name typed on two keyboards is the same text;
- characters that change the direction of the text around them (U+202A to U+202E,
  U+2066 to U+2069, U+200E, U+200F, U+061C) are refused: "Ann", U+202E, "evil" shows
  as "Annlive" and can turn the rest of a line around;
- control characters (line breaks, terminal escapes) are refused;
- a name must hold at least one visible character: zero-width spaces, joiners, filler
  letters such as U+3164 or combining marks alone are not a name.

Zero-width joiners and non-joiners inside a name are kept: they are spelling in Persian
and other scripts, and part of some emoji. ``name_key`` sees through them (and through
case and full-width forms) when deciding whether two people share a name.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
)
# Letters and symbols that are drawn as blank space, though Unicode does not call them so.
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
_UNSEEN_IN_KEY = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _invisible(char: str) -> bool:
    return char in BLANK_LOOKING or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def person_name(value: str, *, required: bool = True) -> str:
    """The name as it is kept (NFC, trimmed), or ``ValidationError`` saying what is wrong."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        if required:
            raise ValidationError(_("Please tell us what to call you."), code="required")
        return ""
    if any(char in BIDI_CONTROLS for char in name):
        raise ValidationError(
            _(
                "This contains a hidden character that changes the direction of text. "
                "Please type it again without it."
            ),
            code="bidi",
        )
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValidationError(
            _("This contains a control character, such as a line break. Please remove it."),
            code="control",
        )
    if all(_invisible(char) for char in name):
        raise ValidationError(
            _("This needs at least one visible letter or sign."), code="invisible"
        )
    return name


def name_key(name: str) -> str:
    """What two names that look alike have in common: compatibility forms folded
    (full-width letters), case folded, spaces and zero-width characters dropped. Accents
    and other marks stay: José and Jose are two names. Worked out once per change of a
    name and kept (``User.name_key``); a change to this rule needs a data migration."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(
        char
        for char in folded
        if char not in BLANK_LOOKING and unicodedata.category(char) not in _UNSEEN_IN_KEY
    )
