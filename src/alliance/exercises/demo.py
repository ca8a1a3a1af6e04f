"""Demo exercises: a few assignments per client, some done and shared, some private, some
not completed yet, linked to the episode's agreed goals where there are any."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from alliance.care.models import Episode
from alliance.exercises.catalogue import ExerciseType
from alliance.exercises.models import Assignment
from alliance.exercises.selectors import goals_to_link
from alliance.exercises.services import assignment_create, entry_submit

THOUGHTS = {
    "en": [
        (
            "Sat alone at lunch while colleagues went out",
            "They don't want me around",
            "lonely",
            "Two of them asked me last week",
            "Maybe they just forgot to ask today",
        ),
        (
            "Made a mistake in an e-mail to my manager",
            "I'm going to lose my job",
            "anxious",
            "She said the report was good on Friday",
            "One mistake is not the whole picture",
        ),
        (
            "My friend didn't reply to my message",
            "I must have upset them",
            "worried",
            "They are often busy on weekdays",
            "They may simply not have seen it yet",
        ),
    ],
    "es": [
        (
            "Comí sola mientras mis compañeros salían",
            "No quieren estar conmigo",
            "soledad",
            "Dos de ellos me invitaron la semana pasada",
            "Quizás hoy solo se olvidaron de preguntar",
        ),
        (
            "Me equivoqué en un correo a mi jefa",
            "Voy a perder el trabajo",
            "ansiedad",
            "El viernes me dijo que el informe estaba bien",
            "Un error no es todo lo que hago",
        ),
    ],
}
ACTIVITIES = {
    "en": [
        ("Walk to the park", "Saturday morning"),
        ("Call my brother", "Wednesday evening"),
        ("Cook a proper dinner", "Tuesday, 7 pm"),
        ("Go to the swimming pool", "Friday"),
    ],
    "es": [
        ("Caminar al parque", "sábado por la mañana"),
        ("Llamar a mi hermano", "miércoles"),
        ("Cocinar una buena cena", "martes a las 19 h"),
    ],
}
NOTICED = {
    "en": ["My mind kept going back to work, and I brought it back.", "Tight shoulders at first."],
    "es": ["Mi mente volvía al trabajo y la traje de vuelta.", "Hombros tensos al principio."],
}
PRIVATE_TEXT = {
    "en": [
        "I wrote about the year my father was ill, and how little I said to anyone.",
        "This week felt a bit lighter. Tuesday was hard, Thursday was better.",
    ],
    "es": [
        "Escribí sobre el año en que mi padre estuvo enfermo y lo poco que hablé con nadie.",
        "Esta semana se sintió un poco más ligera. El martes fue difícil, el jueves mejor.",
    ],
}
NOTES = {
    "en": ["Try it once or twice before our next session.", "No need to make it perfect."],
    "es": [
        "Pruébalo una o dos veces antes de la próxima sesión.",
        "No hace falta que sea perfecto.",
    ],
}


def _answers(exercise_type: str, language: str, rng: random.Random) -> dict[str, Any]:
    if exercise_type == ExerciseType.THOUGHT_RECORD:
        situation, thought, emotion, against, balanced = rng.choice(THOUGHTS[language])
        before = rng.randrange(55, 95, 5)
        return {
            "tr-situation": situation,
            "tr-thought": thought,
            "tr-emotion": emotion,
            "tr-intensity-before": before,
            "tr-evidence-against": against,
            "tr-balanced": balanced,
            "tr-intensity-after": max(0, before - rng.randrange(10, 45, 5)),
        }
    if exercise_type == ExerciseType.BEHAVIOURAL_ACTIVATION:
        activity, when = rng.choice(ACTIVITIES[language])
        done = rng.random() < 0.75
        answers: dict[str, Any] = {"ba-activity": activity, "ba-when": when}
        answers["ba-done"] = "yes" if done else "no"
        if done:
            answers["ba-mastery"] = rng.randint(3, 9)
            answers["ba-pleasure"] = rng.randint(2, 9)
        return answers
    if exercise_type == ExerciseType.MINDFULNESS_LOG:
        return {
            "mi-practice": rng.choice(
                ["breathing-space", "body-scan", "mindful-walking", "five-senses"]
            ),
            "mi-minutes": rng.choice([3, 5, 10, 15, 20]),
            "mi-noticed": rng.choice(NOTICED[language]),
        }
    key = "ew-writing" if exercise_type == ExerciseType.EXPRESSIVE_WRITING else "rj-entry"
    return {key: rng.choice(PRIVATE_TEXT[language])}


def demo_exercises(*, episode: Episode, rng: random.Random, now: datetime) -> None:
    """Two to four assignments with entries in the past; nothing if the episode has some."""
    if not episode.is_open or Assignment.objects.filter(episode=episode).exists():
        return
    client = episode.client
    language = "es" if client.language == "es" else "en"
    goals = goals_to_link(episode)
    types = rng.sample(list(ExerciseType.values), k=rng.randint(2, 4))
    for index, exercise_type in enumerate(types):
        assigned_at = max(episode.opened_at, now - timedelta(days=rng.randint(7, 28)))
        assignment = assignment_create(
            actor=episode.therapist,
            episode=episode,
            exercise_type=exercise_type,
            due_on=(assigned_at + timedelta(days=7)).date() if rng.random() < 0.7 else None,
            note=rng.choice(NOTES[language]) if rng.random() < 0.5 else "",
            goal=goals[index % len(goals)] if goals and rng.random() < 0.7 else None,
            assigned_at=assigned_at,
        )
        if index == len(types) - 1 and rng.random() < 0.6:
            continue  # not completed yet
        repeats = 3 if exercise_type == ExerciseType.MINDFULNESS_LOG else rng.randint(1, 2)
        elapsed = (now - assigned_at).total_seconds()
        for repeat in range(repeats):
            completed_at = assigned_at + timedelta(seconds=elapsed * (repeat + 1) / (repeats + 1))
            private_by_nature = exercise_type in (
                ExerciseType.EXPRESSIVE_WRITING,
                ExerciseType.REFLECTION_JOURNAL,
            )
            entry_submit(
                actor=client,
                assignment=assignment,
                answers=_answers(exercise_type, language, rng),
                shared=rng.random() < (0.3 if private_by_nature else 0.85),
                started_at=completed_at - timedelta(minutes=rng.randint(5, 20)),
                completed_at=completed_at,
            )
