"""What an instrument is called, and for whom.

Clinicians see the formal, published name ("Patient Health Questionnaire-9 (PHQ-9)"): it is
the name the literature, the licence and the record use, and it is not ours to translate.
Clients see a short, plain name of ours in their own language ("Mood check-in"), as the
portal speaks plainly (DESIGN.md, Wording). These short names are Alliance's wording, not
the instruments': they are kept here, in one place, and never replace the formal name in a
record, an export or the clinician workspace.

An instrument without a short name here (one a practice imported) is shown to clients
by its own title.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from .model import Instrument

CLIENT_NAMES: Mapping[str, Mapping[str, str]] = {
    "phq-9": {"en": "Mood check-in", "es": "Registro del ánimo"},
    "phq-2": {"en": "Short mood check-in", "es": "Registro breve del ánimo"},
    "gad-7": {"en": "Worry check-in", "es": "Registro de la preocupación"},
    "gad-2": {"en": "Short worry check-in", "es": "Registro breve de la preocupación"},
    "phq-15": {"en": "Body check-in", "es": "Registro de molestias del cuerpo"},
    "pcl-5": {
        "en": "Check-in about a hard experience",
        "es": "Registro sobre una experiencia difícil",
    },
    "audit-c": {"en": "Alcohol check-in", "es": "Registro del consumo de alcohol"},
    "session-feedback": {"en": "Session feedback", "es": "Opinión sobre la sesión"},
}


def client_name(instrument: Instrument, language: str) -> str:
    """The plain name a client sees, in their language (English if we have no other)."""
    names = CLIENT_NAMES.get(instrument.id)
    if names is None:
        return instrument.title
    return names.get(language) or names["en"]


class Titled(Protocol):
    """An instrument, or a menu's light copy of one (``alliance.measures.instruments``)."""

    @property
    def title(self) -> str: ...

    @property
    def title_translations(self) -> Mapping[str, str] | Iterable[tuple[str, str]]: ...


class Offered(Titled, Protocol):
    @property
    def id(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]: ...


def formal_name(instrument: Titled, language: str) -> str:
    """The name clinicians, records and exports use: the published title, or, for a form
    of our own that has one, its title in ``language``."""
    return dict(instrument.title_translations).get(language) or instrument.title


def offered_in(instrument: Offered, language: str) -> bool:
    """Whether a person who reads ``language`` can answer this instrument in it.

    Only the languages a definition lists are offered: those whose official wording was
    shipped (or, for our own forms, written). Every other language gets the English form.
    """
    return language in instrument.languages
