"""Checking a foreign Questionnaire's calculated expressions (FHIRPath): Alliance does not
evaluate them; it recognises a plain sum of the weighted items and refuses anything else, so that
its own total is the one the form would compute.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .common import fail

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|`[^`]*`")
_LINK_REF = re.compile(r"linkId\s*=\s*'((?:[^'\\]|\\.)*)'")
_NOT_A_SUM = re.compile(r"[*/-]|\bdiv\b|\bmod\b|\bpower\(|\bmin\(|\bmax\(|\bavg\(")


def check_expressions(
    expressions: Sequence[str], weighted: Sequence[str], all_links: set[str]
) -> None:
    """Refuse a calculatedExpression that is not a plain sum of the weighted items.

    We do not evaluate FHIRPath at scoring time; we recognise the LHC-Forms pattern
    (``iif(%qN.exists(), %qN, 0) + ...`` over ordinalValue look-ups) and simple
    ``sum()``/``+`` forms, and check they refer to exactly the weighted items.
    """
    referenced: set[str] = set()
    for expr in expressions:
        referenced.update(_LINK_REF.findall(expr))
        bare = _STRING_LITERAL.sub("''", expr)
        if _NOT_A_SUM.search(bare):
            raise fail(
                f"calculatedExpression {expr!r} is not a plain sum of answer weights; Alliance "
                "cannot guarantee identical scoring"
            )
    unknown = referenced - all_links
    if unknown:
        raise fail(f"calculatedExpression refers to unknown linkIds {sorted(unknown)}")
    if referenced and referenced != set(weighted):
        raise fail(
            f"calculatedExpression sums items {sorted(referenced)} but the weighted items are "
            f"{sorted(weighted)}"
        )
