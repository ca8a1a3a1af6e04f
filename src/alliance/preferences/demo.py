"""Demo content: varied preferences, a few agenda items, cultural profiles from empty to rich.

Written through the services, as the client, in the client's language.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from alliance.care.models import Episode
from alliance.preferences.items import ANSWERS, ITEMS
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.preferences.services import (
    agenda_item_add,
    cultural_profile_save,
    preferences_save,
)

HOPES = {
    "en": [
        "To sleep better and stop dreading Mondays.",
        "To understand why I keep pushing people away.",
        "Feel like myself again.",
        "Some tools for when the panic comes.",
        "To grieve my dad without falling apart at work.",
    ],
    "es": [
        "Dormir mejor y dejar de temer los lunes.",
        "Entender por qué sigo alejando a la gente.",
        "Volver a sentirme yo.",
        "Tener herramientas para cuando llega el pánico.",
        "Hacer el duelo por mi padre sin venirme abajo en el trabajo.",
    ],
}
TOGETHER = {
    "en": [
        "Please tell me if I'm going round in circles.",
        "I find it hard to talk at first; give me a minute.",
        "I'd like to check in on my goals every few weeks.",
        "",
    ],
    "es": [
        "Dime si estoy dando vueltas a lo mismo.",
        "Al principio me cuesta hablar; dame un momento.",
        "Me gustaría revisar mis objetivos cada pocas semanas.",
        "",
    ],
}
AGENDA = {
    "en": [
        "The argument with my sister at the weekend",
        "Starting the new job next month",
        "Whether the breathing exercise is working",
        "I had a rough night on Wednesday",
        "My mum's hospital appointment",
    ],
    "es": [
        "La discusión con mi hermana el fin de semana",
        "Empiezo el trabajo nuevo el mes que viene",
        "Si me está sirviendo el ejercicio de respiración",
        "El miércoles tuve una mala noche",
        "La cita de mi madre en el hospital",
    ],
}
PROFILE = {
    "en": {
        "background": "My parents came from Ghana; I grew up in Leeds and feel at home in both.",
        "beliefs": "My faith is important to me. Prayer helps, and I'd like that respected.",
        "family": "Big family, very close. They don't know I'm coming to therapy.",
        "understand": "I'm the first in my family to go to university, and I carry that.",
        "languages": "English, and Twi with my grandmother.",
    },
    "es": {
        "background": "Nací en Ecuador y llevo diez años aquí; me siento de los dos sitios.",
        "beliefs": "Soy católica practicante; la misa del domingo me da calma.",
        "family": "Vivo con mi abuela y mis dos hijos. Mi familia es mi apoyo.",
        "understand": "En mi cultura no se habla mucho de salud mental; me cuesta pedir ayuda.",
        "languages": "Español; el inglés lo uso en el trabajo.",
    },
}


def demo_preferences(*, episode: Episode, rng: random.Random, now: datetime) -> None:
    """Once per open demo episode; running the demo again adds nothing."""
    if not episode.is_open:
        return
    if (
        TreatmentPreferences.objects.filter(episode=episode).exists()
        or AgendaItem.objects.filter(episode=episode).exists()
        or CulturalProfile.objects.filter(episode=episode).exists()
    ):
        return
    client = episode.client
    language = "es" if client.language == "es" else "en"
    if rng.random() < 0.8:
        for version in range(rng.choice([1, 1, 2])):
            answers = {item.code: rng.choice(ANSWERS) for item in ITEMS if rng.random() < 0.85}
            preferences_save(
                actor=client,
                episode=episode,
                answers=answers or {"structure": "between"},
                hopes=rng.choice(HOPES[language]),
                working_together=rng.choice(TOGETHER[language]),
                now=now - timedelta(days=rng.randint(10, 40) - version * 8),
            )
    for text in rng.sample(AGENDA[language], rng.choice([0, 0, 1, 2, 3])):
        agenda_item_add(
            actor=client,
            episode=episode,
            text=text,
            now=now - timedelta(hours=rng.randint(1, 48)),
        )
    # From empty to rich; some parts kept private.
    depth = rng.choice([0, 0, 1, 2, 5])
    if depth:
        codes = rng.sample(list(PROFILE[language]), depth)
        cultural_profile_save(
            actor=client,
            episode=episode,
            parts={code: PROFILE[language][code] for code in codes},
            shared={code for code in codes if rng.random() < 0.6},
            now=now - timedelta(days=rng.randint(1, 30)),
        )
