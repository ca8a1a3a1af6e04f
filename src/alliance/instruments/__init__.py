"""Alliance instrument engine: pure Python (no Django), driven by FHIR Questionnaire data.

Every measure is a FHIR R4 Questionnaire in ``definitions/`` with its scoring metadata in
one extension (``urn:alliance:scoring``); one engine scores them all. See README.md.
"""

from .batch import INCOMPLETE, INVALID, OK, BatchResult, score_batch
from .change import ChangeResult, reliable_change
from .errors import (
    InvalidAnswers,
    QuestionnaireImportError,
    ReliableChangeUnavailable,
    UnknownInstrument,
)
from .fhir import to_observations, to_questionnaire_response
from .model import AnswerOption, Band, CriticalRule, Cutoff, Instrument, Item, Subscale
from .parsing.common import SCORING_URL
from .registry import (
    InstrumentRegistry,
    builtin_digest,
    default_registry,
    get_instrument,
    import_questionnaire,
    list_instruments,
    load_definitions_from,
    register,
)
from .scoring import Answer, Completeness, CriticalHit, ScoreResult, score

__all__ = [
    "INCOMPLETE",
    "INVALID",
    "OK",
    "SCORING_URL",
    "Answer",
    "AnswerOption",
    "Band",
    "BatchResult",
    "ChangeResult",
    "Completeness",
    "CriticalHit",
    "CriticalRule",
    "Cutoff",
    "Instrument",
    "InstrumentRegistry",
    "InvalidAnswers",
    "Item",
    "QuestionnaireImportError",
    "ReliableChangeUnavailable",
    "ScoreResult",
    "Subscale",
    "UnknownInstrument",
    "builtin_digest",
    "default_registry",
    "get_instrument",
    "import_questionnaire",
    "list_instruments",
    "load_definitions_from",
    "register",
    "reliable_change",
    "score",
    "score_batch",
    "to_observations",
    "to_questionnaire_response",
]
