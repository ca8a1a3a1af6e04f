"""What a rule found, as a code and the numbers its sentence needs (STYLE.md 12: store facts,
render words).

The not-on-track rule (:mod:`.trajectories.rules`) and the rupture rule (:mod:`.alert_rules`)
return :class:`Finding` values, never sentences: the web layer turns each code into a sentence
in the reader's language, and an alert stores them as they are (:meth:`Finding.as_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Param = int | float | str | bool | None


@dataclass(frozen=True)
class Finding:
    """One rule that fired or shaped a result: ``code`` names it, ``params`` holds its numbers
    (and at most a symbol such as ``"<="``), never words."""

    code: str
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def as_dict(self) -> dict[str, Any]:
        """``{"code": ..., **params}``, the JSON an alert stores."""
        return {"code": self.code, **self.params}
