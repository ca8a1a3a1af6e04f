"""The few exception classes of the instrument engine.

Each failure mode has exactly one class so that callers (the Django side, the CLI) can
catch it without parsing messages; the message is for people and always names the item.
"""

from __future__ import annotations


class UnknownInstrument(LookupError):
    """No instrument is registered under that id (or that version)."""


class InvalidAnswers(ValueError):
    """The answers cannot be scored: unknown item, out-of-range value, wrong type...

    ``problems`` holds one human-readable line per problem; ``items`` holds
    ``(link_id, position)`` for every item named (position is None for unknown keys).
    """

    def __init__(self, problems: list[str], items: list[tuple[str, int | None]]) -> None:
        self.problems = tuple(problems)
        self.items = tuple(items)
        super().__init__("; ".join(problems))


class QuestionnaireImportError(ValueError):
    """A Questionnaire (built-in, registered or imported) was refused; nothing was registered."""


class ReliableChangeUnavailable(ValueError):
    """The instrument has no reliable-change threshold or norms and none were supplied."""
