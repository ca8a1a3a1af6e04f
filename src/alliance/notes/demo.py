"""Demo session summaries: the last few held sessions of therapist1's open episodes have a
signed summary, most with the client's reply; client1's newest one is still unread.

The lead calls ``demo_summaries(episode=..., now=..., unread_last=...)`` once per open
episode of therapist1. Idempotent: a session that already has a summary is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from alliance.care.models import Session
from alliance.notes.models import SessionSummary, SummaryReply
from alliance.notes.services import summary_reply, summary_reply_answer, summary_sign

if TYPE_CHECKING:
    from alliance.care.models import Episode

# How many of the last held sessions get a summary.
SUMMARIES = 3

PARTS: dict[str, list[dict[str, str]]] = {
    "en": [
        {
            "discussed": "How the week went, and the evenings that felt heavy.",
            "decided": "To notice what happens just before the heavy evenings.",
            "client_will": "Write down one evening a week: what happened before it.",
            "therapist_will": "Bring a short sheet about sleep.",
        },
        {
            "discussed": "What you wrote down, and the call with your sister.",
            "decided": "To try one small plan with a friend this week.",
            "client_will": "Send one message to a friend.",
            "therapist_will": "",
        },
        {
            "discussed": "The plan with your friend, and what got in the way.",
            "decided": "To keep the plan small and try again.",
            "client_will": "Try the walk twice this week.",
            "therapist_will": "Look at your check-ins with you next time.",
        },
    ],
    "es": [
        {
            "discussed": "Cómo fue la semana y las tardes que se hicieron pesadas.",
            "decided": "Fijarnos en lo que pasa justo antes de esas tardes.",
            "client_will": "Anotar una tarde a la semana: qué pasó antes.",
            "therapist_will": "Traer una hoja breve sobre el sueño.",
        },
        {
            "discussed": "Lo que anotó y la llamada con su hermana.",
            "decided": "Probar un plan pequeño con una amistad esta semana.",
            "client_will": "Enviar un mensaje a una amistad.",
            "therapist_will": "",
        },
        {
            "discussed": "El plan con su amistad y lo que lo dificultó.",
            "decided": "Mantener el plan pequeño y volver a intentarlo.",
            "client_will": "Probar el paseo dos veces esta semana.",
            "therapist_will": "Revisar con usted sus registros la próxima vez.",
        },
    ],
}

# The client's reply to the first summary: "partly", with a comment, and the answer.
PARTLY = {
    "en": (
        "We also talked about my mother's visit; that mattered most to me.",
        "Thank you for saying so. Let us start with your mother's visit next time.",
    ),
    "es": (
        "También hablamos de la visita de mi madre; eso fue lo más importante para mí.",
        "Gracias por decirlo. Empecemos por la visita de su madre la próxima vez.",
    ),
}


def demo_summaries(*, episode: Episode, now: datetime, unread_last: bool = False) -> int:
    """Sign summaries of the last held sessions (made if missing) with replies; returns
    how many summaries were made."""
    held = list(
        Session.objects.filter(episode=episode, starts_at__lte=now).order_by("-starts_at")[
            :SUMMARIES
        ]
    )[::-1]
    if not held or SessionSummary.objects.filter(session__in=held).exists():
        return 0
    language = "es" if episode.client.language == "es" else "en"
    therapist, client = episode.therapist, episode.client
    for index, session in enumerate(held):
        summary = summary_sign(
            actor=therapist, session=session, parts=PARTS[language][index % len(PARTS["en"])]
        )
        signed_at = session.starts_at + timedelta(hours=3)
        last = index == len(held) - 1
        read_at = None if (last and unread_last) else signed_at + timedelta(hours=5)
        SessionSummary.objects.filter(pk=summary.pk).update(
            signed_at=signed_at, updated_at=signed_at, client_read_at=read_at
        )
        if read_at is None:
            continue
        if index == 0:
            comment, answer = PARTLY[language]
            summary_reply(actor=client, summary=summary, recognised="partly", text=comment)
            summary_reply_answer(actor=therapist, summary=summary, text=answer)
            SummaryReply.objects.filter(summary=summary).update(
                created_at=read_at, updated_at=read_at, answered_at=read_at + timedelta(hours=2)
            )
        else:
            summary_reply(actor=client, summary=summary, recognised="yes")
            SummaryReply.objects.filter(summary=summary).update(
                created_at=read_at, updated_at=read_at
            )
    return len(held)
