"""Demo messages: short, kind exchanges between sessions, some still unread.

The lead calls ``demo_office_hours(therapist=...)`` once per demo therapist first, then
``demo_messaging(episode=..., rng=..., now=...)`` once per open demo episode.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from alliance.messaging.models import Message, OfficeHours
from alliance.messaging.services import message_send, office_hours_set, thread_mark_read

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.care.models import Episode

# Who writes ("c" client, "t" therapist) and what, by language.
SCRIPTS: dict[str, list[list[tuple[str, str]]]] = {
    "en": [
        [
            (
                "c",
                "Hi, something came up at work on Thursday. Could we move our session to "
                "Friday, or to the week after?",
            ),
            ("t", "Of course. Friday at 10:00 is free. Shall I put you down for that?"),
            ("c", "Friday at 10 is perfect, thank you."),
        ],
        [
            (
                "c",
                "Quick question about the thought record: should I write it down when it "
                "happens, or at the end of the day?",
            ),
            (
                "t",
                "Good question! As close to the moment as you can, even just a few words. "
                "If that isn't possible, the end of the day is fine too. What matters is "
                "noticing the thought.",
            ),
            ("c", "That helps. I managed two yesterday."),
        ],
        [
            (
                "t",
                "Hi, just checking in after last week's session, which covered a lot. How "
                "have the past few days been?",
            ),
            ("c", "Up and down, but better than the week before. The evening walks are helping."),
            (
                "t",
                "I'm glad the walks help. Let's talk more about what makes the good days "
                "good when we meet.",
            ),
        ],
    ],
    "es": [
        [
            (
                "c",
                "Hola, me ha surgido algo en el trabajo el jueves. ¿Podríamos pasar la "
                "sesión al viernes o a la semana siguiente?",
            ),
            ("t", "Claro. El viernes a las 10:00 está libre. ¿Te lo reservo?"),
            ("c", "El viernes a las 10 me va perfecto, gracias."),
        ],
        [
            (
                "c",
                "Una pregunta sobre el registro de pensamientos: ¿lo escribo en el momento "
                "o al final del día?",
            ),
            (
                "t",
                "¡Buena pregunta! Lo más cerca posible del momento, aunque sean unas pocas "
                "palabras. Si no puedes, al final del día también está bien. Lo importante "
                "es darte cuenta del pensamiento.",
            ),
            ("c", "Me ayuda saberlo. Ayer pude hacer dos."),
        ],
        [
            (
                "t",
                "Hola, solo quería saber cómo estás después de la sesión de la semana "
                "pasada, que fue intensa. ¿Qué tal estos días?",
            ),
            (
                "c",
                "Con altibajos, pero mejor que la semana anterior. Los paseos por la tarde "
                "me están ayudando.",
            ),
            (
                "t",
                "Me alegra que los paseos te ayuden. Hablemos de qué hace que los días "
                "buenos sean buenos cuando nos veamos.",
            ),
        ],
    ],
}

# Three patterns of office hours, so that the demo therapists differ.
HOURS = [
    ([0, 1, 2, 3, 4], time(9), time(17)),
    ([0, 1, 2, 3], time(8), time(16)),
    ([1, 2, 3, 4, 5], time(10), time(18)),
]


def demo_office_hours(*, therapist: User) -> None:
    if OfficeHours.objects.filter(therapist=therapist).exists():
        return  # loaded before (or set since): the demo can be run again
    days, starts, ends = HOURS[therapist.pk % len(HOURS)]
    office_hours_set(actor=therapist, days=days, starts_at=starts, ends_at=ends)


def _awake(moment: datetime, who: str, rng: random.Random) -> datetime:
    """Therapists write in working hours, clients between 7 in the morning and 10 at night."""
    first, last = (9, 16) if who == "t" else (7, 21)
    local = timezone.localtime(moment)
    if first <= local.hour <= last:
        return moment
    day = local if local.hour < first else local + timedelta(days=1)
    return day.replace(hour=rng.randint(first, last), minute=rng.choice([4, 18, 33, 47]))


def demo_messaging(*, episode: Episode, rng: random.Random, now: datetime) -> None:
    if Message.objects.filter(episode=episode).exists():
        return  # loaded before: the demo can be run again
    scripts = SCRIPTS["es" if episode.client.language == "es" else "en"]
    chosen = rng.sample(scripts, k=rng.randint(1, 2))
    when = (now - timedelta(days=rng.randint(3, 10))).replace(
        hour=rng.randint(8, 20), minute=rng.choice([5, 12, 27, 41, 53]), second=0, microsecond=0
    )
    latest = now - timedelta(minutes=10)
    for script in chosen:
        for who, body in script:
            when = min(_awake(when + timedelta(hours=rng.randint(1, 18)), who, rng), latest)
            actor = episode.client if who == "c" else episode.therapist
            message_send(actor=actor, episode=episode, body=body, sent_at=when, notify=False)
        when += timedelta(days=rng.randint(1, 3))
    # Each side has read what came before their own last message; some replies stay unread.
    messages = list(Message.objects.filter(episode=episode).order_by("pk"))
    for reader in (episode.client, episode.therapist):
        if rng.random() < 0.5:
            thread_mark_read(actor=reader, episode=episode, up_to=messages[-1])
