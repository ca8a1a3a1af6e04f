"""Demo treatment plans: goals in the client's words, agreed, reworded, rated over time."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from alliance.care.models import Episode
from alliance.measures.models import Response
from alliance.plans.models import GoalStatus
from alliance.plans.services import (
    goal_agree,
    goal_close,
    goal_propose,
    goal_reword,
    goals_rate,
    plan_review_set,
    plan_summary_update,
)

# (first wording, reworded) in the client's own words; the client proposes these.
CLIENT_GOALS = {
    "en": [
        ("Get out of bed before 9 most days", "Be up and dressed before 9 on weekdays"),
        ("Stop avoiding the supermarket", "Do the weekly shop on my own"),
        ("Feel less on edge at work", "Get through team meetings without dreading them"),
        ("Sleep better", "Sleep at least six hours on most nights"),
        ("See my friends again", "Meet a friend once a week"),
        ("Worry less about my health", None),
        ("Go back to playing football on Saturdays", None),
    ],
    "es": [
        ("Levantarme antes de las 9 casi todos los días", "Estar en pie y vestido antes de las 9"),
        ("Dejar de evitar el supermercado", "Hacer la compra de la semana yo solo"),
        ("Estar menos tenso en el trabajo", "Pasar las reuniones de equipo sin angustiarme"),
        ("Dormir mejor", "Dormir al menos seis horas casi todas las noches"),
        ("Volver a ver a mis amigos", "Quedar con un amigo una vez por semana"),
        ("Preocuparme menos por mi salud", None),
        ("Volver a jugar al fútbol los sábados", None),
    ],
}
# The therapist proposes these, written with the client in session.
THERAPIST_GOALS = {
    "en": [
        "Notice the early signs of a low day and use the plan we made",
        "Take a short walk three times a week",
        "Say no to one extra task a week without apologising",
    ],
    "es": [
        "Notar las primeras señales de un día bajo y usar el plan que hicimos",
        "Dar un paseo corto tres veces por semana",
        "Decir que no a una tarea extra por semana sin disculparme",
    ],
}
SUMMARIES = {
    "en": [
        "We are working towards getting the days back into a rhythm: sleep, getting out, "
        "and time with people. We use behavioural activation and review the plan monthly.",
        "The aim is to feel less on edge and to stop avoiding the places that bring the worry "
        "on. We work step by step, with practice between sessions.",
    ],
    "es": [
        "Trabajamos para que los días recuperen un ritmo: el sueño, salir de casa y el tiempo "
        "con otras personas. Usamos la activación conductual y revisamos el plan cada mes.",
        "El objetivo es estar menos en tensión y dejar de evitar los lugares que disparan la "
        "preocupación. Vamos paso a paso, con práctica entre sesiones.",
    ],
}


def demo_plans(*, episode: Episode, rng: random.Random, now: datetime) -> None:
    """2-4 goals in varied states, some worded by each side, a few versions, ratings that
    rise for most clients and stay flat for some, a summary and a review date."""
    if episode.goals.exists():
        return  # loaded before: the demo can be run again
    language = "es" if episode.client.language == "es" else "en"
    client, therapist = episode.client, episode.therapist
    past = [s.starts_at for s in episode.sessions.order_by("number") if s.starts_at <= now]
    start = max(episode.opened_at, now - timedelta(weeks=26))
    first_session = past[0] if past else now - timedelta(days=1)
    at = min(max(start, first_session - timedelta(hours=1)), now - timedelta(hours=2))
    plan_summary_update(
        actor=therapist, episode=episode, text=rng.choice(SUMMARIES[language]), at=at
    )
    overdue = rng.random() < 0.2
    review = (
        (now - timedelta(days=rng.randint(2, 10)))
        if overdue
        else now + timedelta(days=rng.randint(7, 35))
    )
    plan_review_set(actor=therapist, episode=episode, review_on=review.date(), at=at)

    # Goal ratings follow the client's course: rising where the PHQ-9 came down.
    totals = [
        total
        for total in Response.objects.filter(
            episode=episode, instrument_id="phq-9", total__isnull=False
        )
        .order_by("submitted_at")
        .values_list("total", flat=True)
        if total is not None
    ]
    improving = len(totals) >= 2 and totals[-1] <= totals[0] - 3
    rising = improving or (not totals and rng.random() < 0.75)
    count = rng.randint(2, 4)
    client_goals = rng.sample(CLIENT_GOALS[language], k=min(count, 3))
    agreed = []
    for first, reworded in client_goals:
        goal = goal_propose(actor=client, episode=episode, text=first, at=at)
        if reworded is not None and rng.random() < 0.6:
            # Worded again together in session: the therapist writes it, the client agrees.
            goal_reword(actor=therapist, goal=goal, text=reworded, at=at + timedelta(minutes=20))
            goal_agree(actor=client, goal=goal, at=at + timedelta(minutes=30))
        else:
            goal_agree(actor=therapist, goal=goal, at=at + timedelta(minutes=30))
        agreed.append(goal)
    if count > len(client_goals) or rng.random() < 0.5:
        # A goal the therapist suggested lately, waiting for the client to agree.
        goal_propose(
            actor=therapist,
            episode=episode,
            text=rng.choice(THERAPIST_GOALS[language]),
            at=now - timedelta(days=rng.randint(1, 6)),
        )

    rating_times = [t + timedelta(hours=1) for t in past[1:]] or [now - timedelta(hours=1)]
    levels = {goal.pk: rng.randint(1, 3) for goal in agreed}
    for step, when in enumerate(rating_times):
        scores = {}
        for goal in agreed:
            if step > 0 and rising and rng.random() < 0.55:
                levels[goal.pk] = min(10, levels[goal.pk] + rng.choice([1, 1, 2]))
            elif step > 0 and not rising and rng.random() < 0.3:
                levels[goal.pk] = max(0, min(10, levels[goal.pk] + rng.choice([-1, 1])))
            scores[goal.pk] = levels[goal.pk]
        goals_rate(actor=client, episode=episode, scores=scores, at=min(when, now))

    if len(agreed) >= 2:
        goal = agreed[-1]
        if rising and levels[goal.pk] >= 8:
            goal_close(
                actor=client, goal=goal, status=GoalStatus.ACHIEVED, at=now - timedelta(hours=1)
            )
        elif rng.random() < 0.25:
            goal_close(
                actor=therapist, goal=goal, status=GoalStatus.SET_ASIDE, at=now - timedelta(hours=1)
            )
