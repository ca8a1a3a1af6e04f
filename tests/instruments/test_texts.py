"""Answers as a reader sees them: their text, and the points they add (if any)."""

from __future__ import annotations

from alliance.instruments import get_instrument
from alliance.instruments.texts import answer_points, answer_text


def test_a_weighted_answer_has_its_weight_as_points() -> None:
    item = get_instrument("phq-9").item("phq9-9")
    assert answer_points(item, "LA6570-1", 2) == 2
    assert answer_points(item, None, 2) == 2  # stored without its code
    assert answer_text(item, "LA6570-1", 2, "en") == "More than half the days"


def test_an_unweighted_code_has_no_points_however_it_was_stored() -> None:
    item = get_instrument("phq-9").item("phq9-difficulty")
    # A response keeps an unweighted answer's code as its value too.
    assert answer_points(item, "LA6572-7", "LA6572-7") is None
    assert answer_text(item, "LA6572-7", "LA6572-7", "en") == "Not difficult at all"
    assert answer_text(item, "LA6572-7", "LA6572-7", "es") != "Not difficult at all"


def test_numbers_count_and_text_or_unknown_values_do_not() -> None:
    feedback = get_instrument("session-feedback")
    assert answer_points(feedback.item("sf-bond"), None, 7) == 7
    assert answer_points(feedback.item("sf-comment"), None, "Thank you") is None
    phq9_item = get_instrument("phq-9").item("phq9-1")
    assert answer_points(phq9_item, "not-a-code", "not-a-code") is None
    assert answer_points(phq9_item, None, 7) is None  # no option has that weight
    assert answer_points(phq9_item, None, True) is None
    assert answer_points(feedback.item("sf-bond"), None, float("nan")) is None
