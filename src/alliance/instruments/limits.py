"""How large a Questionnaire the practice may import.

Without limits a 170 MB Questionnaire took 93 s and 3.8 GB to import, and every new
server process then parsed it again before it could show a therapist the instrument list
(issue 13). The limits sit far above any published instrument (the MMPI-2 has 567 items;
answer scales have a handful of options, a country list some 250 codes in a ValueSet
that is not scored) and far below what slows the app down:

- the file: 5 MB (checked before it is read);
- items: 1,000 item nodes in all, groups and display text included, at any depth;
- answer options: 200 per item, and 200 concepts per contained ValueSet;
- texts: a title of 300 characters (what the practice's list stores), an item's text of
  10,000, an answer's display of 1,000, a linkId of 255 (FHIR's own limit), any other
  string of 50,000 (a calculatedExpression over many items is long).

``check_limits`` walks the JSON without recursion and raises ``QuestionnaireImportError``
naming the first limit passed; it checks sizes only and leaves shapes (a list where an
object belongs...) to the parser, which gives those their own reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import QuestionnaireImportError

MAX_FILE_BYTES = 5_000_000
MAX_ITEMS = 1_000
MAX_OPTIONS = 200
MAX_TITLE = 300
MAX_ITEM_TEXT = 10_000
MAX_OPTION_DISPLAY = 1_000
MAX_LINK_ID = 255
MAX_STRING = 50_000


def file_too_large(size: int) -> str:
    """The reason a file of ``size`` bytes is refused."""
    return (
        f"the file is {size / 1_000_000:.1f} MB; at most {MAX_FILE_BYTES // 1_000_000} MB "
        "is imported (a Questionnaire of that size is not one people could fill in)"
    )


def _too_long(what: str, length: int, limit: int) -> QuestionnaireImportError:
    return QuestionnaireImportError(
        f"{what} is {length:,} characters long; at most {limit:,} are imported"
    )


def _check_strings(node: Mapping[str, Any], link_id: str | None) -> None:
    """The texts this node holds itself, by what they are."""
    where = f"item {link_id!r}" if link_id is not None else "the Questionnaire"
    for key, value in node.items():
        if isinstance(key, str) and len(key) > MAX_STRING:
            raise _too_long("a key", len(key), MAX_STRING)
        if not isinstance(value, str):
            continue
        if key == "linkId" and len(value) > MAX_LINK_ID:
            raise _too_long("a linkId", len(value), MAX_LINK_ID)
        if key == "text" and link_id is not None and len(value) > MAX_ITEM_TEXT:
            raise _too_long(f"the text of {where}", len(value), MAX_ITEM_TEXT)
        if key == "display" and len(value) > MAX_OPTION_DISPLAY:
            raise _too_long(f"an answer of {where}", len(value), MAX_OPTION_DISPLAY)
        if len(value) > MAX_STRING:
            raise _too_long("a text", len(value), MAX_STRING)


def check_limits(questionnaire: Any) -> None:
    """Raise ``QuestionnaireImportError`` if the Questionnaire passes a limit above."""
    if not isinstance(questionnaire, Mapping):
        return
    title = questionnaire.get("title")
    if isinstance(title, str) and len(title) > MAX_TITLE:
        raise _too_long("the title", len(title), MAX_TITLE)
    items = 0
    # (node, linkId of the item it belongs to, whether it is an item itself)
    pending: list[tuple[Any, str | None, bool]] = [(questionnaire, None, False)]
    while pending:
        node, link_id, is_item = pending.pop()
        if isinstance(node, str):
            if len(node) > MAX_STRING:
                raise _too_long("a text", len(node), MAX_STRING)
        elif isinstance(node, list):
            pending.extend((child, link_id, False) for child in node)
        elif isinstance(node, Mapping):
            if is_item:
                items += 1
                if items > MAX_ITEMS:
                    raise QuestionnaireImportError(
                        f"the Questionnaire has more than {MAX_ITEMS:,} items; at most "
                        f"{MAX_ITEMS:,} are imported"
                    )
                own = node.get("linkId")
                link_id = own if isinstance(own, str) else link_id
            _check_strings(node, link_id)
            for key, value in node.items():
                if isinstance(value, str):
                    continue  # checked above, by what it is
                if key == "answerOption" and isinstance(value, list) and len(value) > MAX_OPTIONS:
                    raise QuestionnaireImportError(
                        f"item {link_id!r} has {len(value):,} answer options; at most "
                        f"{MAX_OPTIONS:,} are imported"
                    )
                if (
                    key in ("concept", "contains")
                    and isinstance(value, list)
                    and len(value) > MAX_OPTIONS
                ):
                    raise QuestionnaireImportError(
                        f"a ValueSet has {len(value):,} answers; at most {MAX_OPTIONS:,} "
                        "are imported"
                    )
                if key == "item" and isinstance(value, list):
                    pending.extend((child, link_id, True) for child in value)
                else:
                    pending.append((value, link_id, False))
