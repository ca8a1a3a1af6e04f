"""The check-in says where the person stands and what is still missing, with or without
JavaScript (the browser side is in tests/e2e/test_checkin_flow.py)."""

from __future__ import annotations

import re

from django.urls import reverse

from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in
from tests.web.test_checkin import phq9_post


def test_without_javascript_the_missing_questions_are_listed_at_the_top_with_links(
    cast: Cast,
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    data = phq9_post([1] * 9)
    del data["phq9-4"], data["phq9-7"]
    response = signed_in(cast.dana).post(reverse("checkin_fill", args=[administration.pk]), data)
    page = response.content.decode()
    start = page.index('class="form-errors"')
    summary = page[start : page.index("</div>", start)]
    assert "Some questions still need an answer:" in summary
    assert re.findall(r'href="#(q-\d+)">Question \d+<', summary) == ["q-4", "q-7"]
    assert page.count("question--invalid") == 2


def test_each_question_says_where_it_stands_and_whether_it_is_required(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    page = signed_in(cast.dana).get(reverse("checkin_fill", args=[administration.pk]))
    text = page.content.decode()
    assert "Question 1 of 10" in text and "Question 10 of 10" in text
    assert text.count("data-required") == 9  # the difficulty question is optional
