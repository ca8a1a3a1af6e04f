"""What the JSON API (``/api/v1/``) answers: its typed schemas (the OpenAPI document is
made from them) and the functions that turn the caseload and alerts into them.

The rows are the caseload page's (``alliance.alerts.selectors.caseload_page``): the same
need, flags, scores and standing risk answer, in the same order; nothing is recomputed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.paginator import Page
from ninja import Schema
from pydantic import AwareDatetime, Field

from alliance.alerts.models import Alert
from alliance.alerts.selectors import Caseload, CaseloadPart, MeasureScore, Need, need_rank
from alliance.measures.models import Administration

NeedName = Literal["urgent", "not_on_track", "rupture", "checkin_not_completed", "nothing_flagged"]
NEED_NAMES: dict[Need, NeedName] = {
    Need.URGENT: "urgent",
    Need.NOT_ON_TRACK: "not_on_track",
    Need.RUPTURE: "rupture",
    Need.CHECKIN_NOT_COMPLETED: "checkin_not_completed",
    Need.NOTHING_FLAGGED: "nothing_flagged",
}
AlertStatusName = Literal["open", "acknowledged", "resolved"]
AlertKindName = Literal["risk", "not_on_track", "rupture", "disengagement"]


class Problem(Schema):
    """Every error: a sentence, or for a request that does not fit the schema (422) the
    list of what does not."""

    detail: str | list[dict[str, Any]]


class Score(Schema):
    instrument_id: str
    latest: float
    previous: float | None
    intake: float | None
    since_intake: Literal["better", "worse", "same"] | None
    reliably: bool
    recovered: bool
    worse_since_last: bool


class CaseloadRow(Schema):
    episode_id: int
    client_id: int
    client_name: str
    episode_status: str
    need: NeedName
    urgent: bool = Field(description="An open risk alert.")
    not_on_track: bool
    rupture: bool
    disengaged: bool
    overdue: bool = Field(description="A check-in past its due time and not completed.")
    risk_since: datetime | None = Field(
        description="When a risk answer that still stands was given."
    )
    unread_messages: int
    scores: list[Score]


class CaseloadPartOut(Schema):
    items: list[CaseloadRow]
    page: int
    pages: int
    count: int


class CaseloadOut(Schema):
    treating: CaseloadPartOut
    supervising: CaseloadPartOut
    needs: dict[NeedName, int] = Field(description="Open episodes of the whole caseload by need.")


class AlertOut(Schema):
    id: int
    client_id: int
    episode_id: int
    kind: AlertKindName
    status: AlertStatusName
    created_at: datetime
    response_id: int | None
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    acknowledged_with_id: int | None
    acknowledgement_note: str
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution_note: str


class AlertPage(Schema):
    items: list[AlertOut]
    page: int
    pages: int
    count: int


class AcknowledgeIn(Schema):
    note: str = Field(
        min_length=1,
        max_length=4000,
        description="What you did or will do (required, as on the web form). Kept encrypted.",
    )


class ResolveIn(Schema):
    note: str = Field(default="", max_length=4000, description="Optional. Kept encrypted.")


class QuestionnaireRequestIn(Schema):
    instrument: str = Field(min_length=1, max_length=120, description="An instrument id: phq-9…")
    due_at: AwareDatetime | None = None
    in_english: bool = Field(
        default=False,
        description="Send it in English when the client's language has no version.",
    )


class QuestionnaireRequestOut(Schema):
    id: int
    client_id: int
    episode_id: int
    instrument_id: str
    due_at: datetime | None
    created_at: datetime


def _score(measure: MeasureScore) -> Score:
    return Score(
        instrument_id=measure.instrument_id,
        latest=measure.latest,
        previous=measure.previous,
        intake=measure.intake,
        since_intake=measure.since_intake,
        reliably=measure.reliably,
        recovered=measure.recovered,
        worse_since_last=measure.worse_since_last,
    )


def _row(episode: Any) -> CaseloadRow:
    return CaseloadRow(
        episode_id=episode.pk,
        client_id=episode.client_id,
        client_name=episode.client.preferred_name,
        episode_status=episode.status,
        need=NEED_NAMES[need_rank(episode)],
        urgent=episode.urgent,
        not_on_track=episode.off_track,
        rupture=episode.rupture,
        disengaged=episode.disengaged,
        overdue=episode.overdue,
        risk_since=episode.risk_since,
        unread_messages=episode.unread_messages or 0,
        scores=[_score(m) for m in episode.measures],
    )


def _part(part: CaseloadPart) -> CaseloadPartOut:
    return CaseloadPartOut(
        items=[_row(e) for e in part.episodes],
        page=part.page.number,
        pages=part.page.paginator.num_pages,
        count=part.page.paginator.count,
    )


def caseload(found: Caseload) -> CaseloadOut:
    return CaseloadOut(
        treating=_part(found.treating),
        supervising=_part(found.supervising),
        needs={NEED_NAMES[need]: count for need, count in found.needs.items()},
    )


def caseload_client_ids(found: Caseload) -> set[int]:
    return {e.client_id for part in (found.treating, found.supervising) for e in part.episodes}


def alert(found: Alert) -> AlertOut:
    return AlertOut(
        id=found.pk,
        client_id=found.client_id,
        episode_id=found.episode_id,
        kind=found.kind,  # type: ignore[arg-type]
        status=found.status,  # type: ignore[arg-type]
        created_at=found.created_at,
        response_id=found.response_id,
        acknowledged_at=found.acknowledged_at,
        acknowledged_by_id=found.acknowledged_by_id,
        acknowledged_with_id=found.acknowledged_with_id,
        acknowledgement_note=found.acknowledgement_note,
        resolved_at=found.resolved_at,
        resolved_by_id=found.resolved_by_id,
        resolution_note=found.resolution_note,
    )


def alert_page(page: Page[Alert]) -> AlertPage:
    return AlertPage(
        items=[alert(a) for a in page.object_list],
        page=page.number,
        pages=page.paginator.num_pages,
        count=page.paginator.count,
    )


def questionnaire_request(found: Administration) -> QuestionnaireRequestOut:
    return QuestionnaireRequestOut(
        id=found.pk,
        client_id=found.episode.client_id,
        episode_id=found.episode_id,
        instrument_id=found.instrument_id,
        due_at=found.due_at,
        created_at=found.created_at,
    )
