"""Demo safety plans: about half the clients, every one with a risk alert, co-authored.

A plan usually begins in a session (the therapist types while the client speaks), and
then both come back to it: the client adds something at home, the therapist records
what they went over in the next session.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from alliance.alerts.models import Alert, AlertKind
from alliance.care.models import Episode
from alliance.safety.selectors import safety_plan_of
from alliance.safety.services import safety_plan_save
from alliance.safety.steps import STEP_KEYS

ENTRIES: dict[str, dict[str, list[str]]] = {
    "en": {
        "warning_signs": [
            "I stop answering messages from friends",
            "Lying awake after 2 a.m. going over the same thoughts",
            "Skipping meals without noticing",
            "Thinking that everyone would be better off without me",
            "Cancelling plans I was looking forward to",
            "Feeling numb, or like I'm watching myself from outside",
        ],
        "coping_alone": [
            "A walk around the block, even a short one",
            "A hot shower and clean clothes",
            "The playlist I made in the summer",
            "Breathing out slowly, longer than I breathe in, for two minutes",
            "Drawing, or colouring without thinking",
            "Cooking something simple from my grandmother's recipes",
        ],
        "people_places": [
            "The café on the corner, sitting by the window",
            "Calling my cousin just to chat about football",
            "The library reading room",
            "Walking the dog in the park where other people are",
            "My neighbour's kitchen on Sunday afternoons",
        ],
        "people_to_ask": [
            "My sister — she said to call any time, even at night",
            "My friend from work; texting first is easier for me",
            "My uncle, who has been through hard times himself",
            'My partner: I can say the code word "rainy day"',
        ],
        "professionals": [
            "My therapist, through the messages here or the practice phone",
            "My GP's surgery, weekdays 8 to 6",
            "The practice reception, to ask for an earlier session",
        ],
        "safer_surroundings": [
            "My brother keeps my extra medicines at his place",
            "Only a week of tablets at home at a time",
            "Not drinking when I feel low",
            "Going to a friend's flat when I don't feel safe alone",
        ],
        "reasons": [
            "My daughter and her laugh",
            "My dog, who needs me every morning",
            "Seeing the sea again next summer",
            "Finishing my course",
            "My mum — I want to be there for her",
            "The garden I planted this spring",
        ],
    },
    "es": {
        "warning_signs": [
            "Dejo de contestar los mensajes de mis amigos",
            "Me quedo despierto de madrugada dándole vueltas a lo mismo",
            "Me salto comidas sin darme cuenta",
            "Pienso que todos estarían mejor sin mí",
            "Cancelo planes que antes me hacían ilusión",
            "Me siento como anestesiada, como si me viera desde fuera",
        ],
        "coping_alone": [
            "Dar una vuelta a la manzana, aunque sea corta",
            "Una ducha caliente y ropa limpia",
            "La lista de canciones que hice en verano",
            "Respirar despacio, soltando el aire más lento de lo que entra",
            "Dibujar o colorear sin pensar",
            "Cocinar algo sencillo de las recetas de mi abuela",
        ],
        "people_places": [
            "La cafetería de la esquina, junto a la ventana",
            "Llamar a mi prima para hablar de fútbol",
            "La sala de lectura de la biblioteca",
            "Pasear a la perra por el parque cuando hay gente",
            "La cocina de mi vecina los domingos por la tarde",
        ],
        "people_to_ask": [
            "Mi hermana: me dijo que la llame a cualquier hora",
            "Mi amigo del trabajo; me cuesta menos escribirle primero",
            "Mi tío, que también ha pasado por momentos difíciles",
            'Mi pareja: puedo decir la palabra clave "día de lluvia"',
        ],
        "professionals": [
            "Mi terapeuta, por los mensajes de aquí o el teléfono de la consulta",
            "Mi centro de salud, de lunes a viernes de 8 a 15",
            "La recepción de la consulta, para pedir una sesión antes",
        ],
        "safer_surroundings": [
            "Mi hermano guarda en su casa los medicamentos que sobran",
            "Tener en casa solo las pastillas de una semana",
            "No beber cuando me siento mal",
            "Irme a casa de una amiga si no me siento segura a solas",
        ],
        "reasons": [
            "Mi hija y su risa",
            "Mi perra, que me necesita cada mañana",
            "Volver a ver el mar el próximo verano",
            "Terminar mis estudios",
            "Mi madre: quiero estar a su lado",
            "El huerto que planté esta primavera",
        ],
    },
}


def _grow(
    steps: dict[str, list[str]], pool: dict[str, list[str]], rng: random.Random, keys: list[str]
) -> dict[str, list[str]]:
    """One more entry in each of ``keys``, taken from what is not in the plan yet."""
    grown = {key: list(entries) for key, entries in steps.items()}
    for key in keys:
        left = [entry for entry in pool[key] if entry not in grown[key]]
        if left:
            grown[key].append(rng.choice(left))
    return grown


def demo_safety(*, episode: Episode, rng: random.Random, now: datetime) -> None:
    """A plan with 2-3 versions for about half the clients, always after a risk alert."""
    client = episode.client
    had_risk = Alert.objects.filter(episode__client=client, kind=AlertKind.RISK).exists()
    wanted = rng.random() < 0.5
    if not (had_risk or wanted) or not episode.is_open or safety_plan_of(client) is not None:
        return
    pool = ENTRIES["es" if client.language == "es" else "en"]
    # Written together in a session: a first version with the essentials.
    steps = {key: rng.sample(pool[key], k=rng.randint(1, 2)) for key in STEP_KEYS}
    sessions = list(episode.sessions.filter(starts_at__lt=now).order_by("starts_at"))
    start = sessions[len(sessions) // 2].starts_at if sessions else now - timedelta(days=21)
    if had_risk:
        # After a risk answer, the plan was made or gone over at once.
        start = max(start, now - timedelta(days=6))
    authors = [episode.therapist, client, episode.therapist]
    count = rng.choice([2, 3])
    step_days = max(1.0, (now - start).total_seconds() / 86400 / (count + 1))
    for index in range(count):
        created_at = min(now, start + timedelta(days=step_days * index, minutes=50))
        if index > 0:
            steps = _grow(steps, pool, rng, rng.sample(list(STEP_KEYS), k=rng.randint(1, 3)))
        safety_plan_save(
            actor=authors[index],
            client=client,
            steps=steps,
            based_on=index,
            created_at=created_at,
        )
