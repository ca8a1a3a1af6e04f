"""Headers, error pages and what they must never show."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

from tests.conftest import Cast


def boom(request: Any) -> Any:
    raise RuntimeError("secret stack detail")


urlpatterns = [path("boom/", boom)]


def test_strict_content_security_policy(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    policy = client.get(reverse("caseload")).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "http" not in policy


def test_usual_security_headers(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.get(reverse("client_record", args=[cast.dana.pk]))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "no-store" in response.headers["Cache-Control"]


def test_templates_have_no_inline_script_or_style() -> None:
    from pathlib import Path

    import alliance

    root = Path(alliance.__file__).parent
    import re

    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        # A JSON data block (allauth's WebAuthn settings) is data the browser never runs.
        code = re.sub(
            r'<script\b[^>]*type="application/json"[^>]*>.*?</script>', "", text, flags=re.S
        )
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", code, flags=re.S):
            assert script.strip() == "", f"inline script in {template}"
        for tag in re.findall(r"<script\b[^>]*>", code):
            assert 'src="{% static' in tag, f"script not served by the app in {template}"
        # The readable copy of a client's record is a downloaded file, never served (so no
        # Content-Security-Policy applies): it carries its own small style sheet.
        if template.relative_to(root).as_posix() != "records/templates/records/record.html":
            assert "<style" not in text, template
        assert " style=" not in text, template
        assert "http://" not in text and "https://" not in text, template


def test_404_is_friendly(db: Any) -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert b"find that page" in response.content


def test_404_for_a_signed_in_person_is_friendly(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"find that page" in response.content
    assert b"Go to your home page" in response.content


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.filterwarnings("ignore")
def test_500_shows_no_stack_trace(db: Any) -> None:
    from django.contrib.auth.decorators import login_not_required

    urlpatterns[0] = path("boom/", login_not_required(boom))
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content
    assert b"secret stack detail" not in response.content
    assert b"Traceback" not in response.content


def test_csrf_failure_page_is_friendly(cast: Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    response = client.post(reverse("profile"), {"preferred_name": "X", "language": "en"})
    assert response.status_code == 403
    assert b"nothing was saved" in response.content


def test_static_files_are_served_by_the_app(db: Any) -> None:
    response = Client().get("/static/alliance/app.css")
    assert response.status_code == 200


def test_error_pages_name_their_icon_so_browsers_ask_for_no_favicon(client: Any) -> None:
    # A bare page makes browsers fetch /favicon.ico, a second request nobody asked for.
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert b'rel="icon"' in page.content
