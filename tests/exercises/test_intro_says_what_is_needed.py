"""An exercise's opening words agree with what the form then asks for: "fill in what you
can" over a form that refuses to save without four answers told the client one thing and
did another."""

from __future__ import annotations

from alliance.exercises.catalogue import exercise_instrument
from alliance.web.questionnaire import display_texts


def intro(language: str) -> str:
    instrument = exercise_instrument("exercise-thought-record")
    return " ".join(display_texts(instrument, language)["tr-situation"])


def test_the_thought_record_says_which_questions_are_needed_and_they_are_the_first_four() -> None:
    instrument = exercise_instrument("exercise-thought-record")
    required = [item.required for item in instrument.items]
    assert required == [True] * 4 + [False] * (len(required) - 4)
    assert "Fill in what you can" not in intro("en")
    assert "The first four questions" in intro("en") and "needed" in intro("en")
    assert "Complete lo que pueda" not in intro("es")
    assert "Las cuatro primeras preguntas" in intro("es")
