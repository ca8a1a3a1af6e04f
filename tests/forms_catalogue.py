"""Every form of the app, discovered from the app: shared by tests/fuzz/ and the log test.

Nothing is typed by hand where the app can say it. The access matrix
(tests/web/test_access_matrix.py) gives every URL with real path arguments for the test
cast; each page is opened (GET) as each role, signed in through the real forms, and every
rendered ``<form method="post">`` gives its action and its fields: input names and types,
choices, text areas, hidden values. ``post_accepting_url_names`` finds every URL whose
view takes a POST; tests/fuzz/test_forms.py fails when one of them has no catalogued form
and is not listed below with a reason, so a new form cannot escape fuzzing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from tests.web.matrix import ROLES as MATRIX_ROLES

# The matrix's roles, and one more: someone who gave Alice's password and is now asked
# for her authenticator code (the only way to reach the second sign-in step's form).
ROLES = (*MATRIX_ROLES, "signing_in")

# URLs that take a POST but show the cast no form: fuzzed all the same, as the roles
# named, with the fields their view reads (typed here, as no page shows them).
FORMLESS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "account_signup": (
        ("anon",),
        ("email", "password1", "password2"),
        "sign-up is closed: accounts come from invitations",
    ),
    "account_confirm_login_code": (("anon",), ("code",), "sign-in by e-mailed code is off"),
    "account_confirm_email": (("anon", "client"), ("key",), "addresses are not confirmed"),
    "account_set_password": (
        ("client",),
        ("password1", "password2"),
        "everyone has a password already",
    ),
    "account_reset_password_from_key": (
        ("anon",),
        ("password1", "password2"),
        "the link's key is checked before any form shows",
    ),
    "mfa_download_recovery_codes": (("therapist",), (), "the cast has no recovery codes"),
    "mfa_reauthenticate_webauthn": (
        ("therapist",),
        ("credential",),
        "needs a security key's answer, which only a browser gives",
    ),
    "mfa_edit_webauthn": (("therapist",), ("name",), "the cast has no security keys"),
    "mfa_remove_webauthn": (("therapist",), (), "the cast has no security keys"),
    "account_request_reauthentication_code": (
        ("client", "therapist"),
        ("email",),
        "re-authentication by e-mailed code is off",
    ),
    "account_confirm_reauthentication_code": (
        ("client", "therapist"),
        ("code",),
        "re-authentication by e-mailed code is off",
    ),
    "oauth_authorize": (
        ("client", "therapist"),
        (
            "allow",
            "redirect_uri",
            "scope",
            "client_id",
            "state",
            "response_type",
            "code_challenge",
            "code_challenge_method",
        ),
        "the approval form shows only for an app's request (its query parameters)",
    ),
    "oauth_token": (
        ("anon",),
        (
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier",
            "refresh_token",
        ),
        "apps post to it; no page shows a form",
    ),
    "oauth_revoke": (
        ("anon",),
        ("token", "token_type_hint", "client_id", "client_secret"),
        "apps post to it; no page shows a form",
    ),
}

# URLs that take a POST and are not fuzzed here, with the reason. Every example rolls back
# and restores the client's cookies, so even signing out can be fuzzed.
EXCLUDED: dict[str, str] = {
    "fhir_search": (
        "the FHIR API's create (a QuestionnaireResponse as JSON, bearer token only, no "
        "cookie reaches it): its generated bodies are in tests/api/test_fhir_write.py"
    ),
}


# -- the cast and the records every page needs ----------------------------------------


def make_cast() -> Any:
    """The fixed cast of tests/conftest.py."""
    from tests.conftest import make_cast as cast_in_database

    return cast_in_database()


def make_records(cast: Any) -> Any:
    """As the access matrix's fixture: one PHQ-9 waiting, one answered with a risk item."""
    from tests.web.test_access_matrix import make_records as records_in_database

    return records_in_database(cast)


def user_for(cast: Any, role: str) -> Any:
    return {
        "anon": None,
        "client": cast.dana,
        "other_client": cast.eve,
        "therapist": cast.alice,
        "other_therapist": cast.charlie,
        "supervisor": cast.sam,
        "admin": cast.ada,
        "signing_in": None,
    }[role]


@dataclass
class State:
    """The cast, its records, each URL name's path arguments, and more pages to open."""

    cast: Any
    records: Any  # tests.web.test_access_matrix.Records
    kwargs: dict[str, dict[str, Any]]
    extra_pages: list[tuple[str, str, dict[str, Any]]]  # (role, url name, kwargs)


def prepare_state() -> State:
    """The cast and enough of Dana's record that every form shows on some page.

    The matrix's makers add a proposed goal, exercises, an agenda item and a safety plan;
    added here: a goal Dana proposed and one both agreed (so the agree button and the
    rating scale show), messages, an acknowledged alert (so "resolve" shows) and a newer
    open one, another questionnaire waiting, a real client invitation, and Dana's request
    for a copy of her record (so the admin's download shows, and her "withdraw"; Eve still
    asks for one); and Eve's request to erase her record (so the admin's erasure form shows
    on her page; Dana still asks).
    """
    from alliance.accounts.models import Role
    from alliance.accounts.services import invitation_create
    from alliance.alerts.services import alert_acknowledge
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request
    from alliance.messaging.services import message_send
    from alliance.plans.services import goal_agree, goal_propose
    from alliance.records.services import copy_request_create, erasure_request_create
    from tests.web.test_access_matrix import MATRIX

    cast = make_cast()
    records = make_records(cast)
    kwargs = {name: (maker(cast, records) if maker else {}) for name, (maker, _) in MATRIX.items()}
    agreed = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Sleep by midnight")
    goal_agree(actor=cast.alice, goal=agreed, seen_version_id=agreed.versions.get().pk)
    goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Call my sister")
    message_send(actor=cast.dana, episode=cast.dana_episode, body="Hello")
    message_send(actor=cast.alice, episode=cast.dana_episode, body="Hello, Dana")
    issued = invitation_create(actor=cast.alice, email="new.client@example.test", role=Role.CLIENT)
    kwargs["invitation_accept"] = {"token": issued.token}
    second = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    newer = response_submit(
        actor=cast.dana, administration=second, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2]
    ).alerts.get(kind="risk")
    # The older alert acknowledged (its page shows "resolve"), the newer left open (its page
    # shows "acknowledge"): acknowledging the newer would answer both.
    alert_acknowledge(actor=cast.alice, alert=records.alert, note="Called Dana")
    copy_request_create(actor=cast.dana, everything=False)
    erasure_request_create(actor=cast.eve)
    extra_pages = [
        ("therapist", "alert_detail", {"alert_id": newer.pk}),
        ("signing_in", "mfa_authenticate", {}),
        ("signing_in", "account_login", {}),
        ("anon", "invitation_accept", kwargs["invitation_accept"]),
        ("admin", "person_record", {"user_id": cast.eve.pk}),
    ]
    return State(cast, records, kwargs, extra_pages)


# -- reading forms out of HTML -----------------------------------------------------------


@dataclass
class Field:
    """One named control of a form; radios and checkboxes of one name are one Field."""

    name: str
    kind: str  # the input type, or "textarea", "select", "select-multiple", "button"
    value: str = ""  # as rendered: the text, or the selected or checked value
    options: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    required: bool = False
    attrs: dict[str, str] = field(default_factory=dict)

    @property
    def is_free_text(self) -> bool:
        """Where a person writes their own words (what must never reach a log)."""
        return self.kind in ("textarea", "text", "search")


@dataclass
class ParsedForm:
    action: str
    fields: dict[str, Field]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[ParsedForm] = []
        self._form: ParsedForm | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._option: dict[str, str] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attrs = {key: value or "" for key, value in attributes}
        if tag == "form":
            if attrs.get("method", "get").lower() == "post":
                self._form = ParsedForm(attrs.get("action", ""), {})
            return
        if self._form is None:
            return
        if tag == "option" and self._select is not None:
            self._option, self._option_text = attrs, ""
            return
        name = attrs.get("name")
        if not name:
            return
        fields = self._form.fields
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("radio", "checkbox"):
                shown = fields.setdefault(name, Field(name, kind, attrs=attrs))
                value = attrs.get("value", "on")
                shown.options.append(value)
                if "checked" in attrs:
                    shown.checked.append(value)
                    shown.value = shown.value or value
                shown.required = shown.required or "required" in attrs
            else:
                value = attrs.get("value", "")
                required = "required" in attrs
                fields[name] = Field(name, kind, value, [value], required=required, attrs=attrs)
        elif tag == "textarea":
            self._textarea = fields[name] = Field(
                name, "textarea", required="required" in attrs, attrs=attrs
            )
        elif tag == "select":
            kind = "select-multiple" if "multiple" in attrs else "select"
            self._select = fields[name] = Field(
                name, kind, required="required" in attrs, attrs=attrs
            )
        elif tag == "button":
            shown = fields.setdefault(name, Field(name, "button", attrs=attrs))
            shown.options.append(attrs.get("value", ""))
            shown.value = shown.value or attrs.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # HTML drops one newline right after <textarea>.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "option" and self._select is not None and self._option is not None:
            value = self._option.get("value", self._option_text.strip())
            self._select.options.append(value)
            if "selected" in self._option:
                self._select.checked.append(value)
                self._select.value = self._select.value or value
            self._option = None
        elif tag == "select" and self._select is not None:
            if not self._select.checked and self._select.options:
                self._select.value = self._select.options[0]  # what a browser sends
            self._select = None


def post_forms(html: str) -> list[ParsedForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


# -- signed-in clients, and examples that leave nothing behind ---------------------------


def sign_in_as(cast: Any, role: str) -> Any:
    """A test client for ``role``, signed in through the real forms (the password, then
    the authenticator code for staff), so that pages asking for a recent sign-in open."""
    from django.test import Client
    from django.urls import reverse

    from alliance.accounts.mfa import totp_code, totp_secret_of
    from tests.conftest import PASSWORD, forget_used_code, sign_in

    client = Client()
    if role == "signing_in":
        response = client.post(
            reverse("account_login"), {"login": cast.alice.email, "password": PASSWORD}
        )
        assert response.url == reverse("mfa_authenticate"), "the second step is not asked"
        return client
    user = user_for(cast, role)
    if user is not None:
        response = sign_in(client, user.email)
        assert response.status_code == 302, f"{role} could not sign in"
        # Changing a factor or downloading a record asks for the password again.
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        assert response.status_code == 302, f"{role} could not confirm their password"
        if totp_secret_of(user) is not None:
            # The admin's copy of a client's record asks for the authenticator app again.
            code = totp_code(totp_secret_of(user) or "")
            forget_used_code(user, code)
            response = client.post(reverse("mfa_reauthenticate"), {"code": code})
            assert response.status_code == 302, f"{role} could not confirm with their app"
    return client


@contextmanager
def isolated(client: Any) -> Iterator[None]:
    """One example: whatever it writes is rolled back, and the client keeps its cookies
    (an example may sign the person out, rotate the session or change the language)."""
    from django.db import transaction

    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


# -- the catalogue ---------------------------------------------------------------------


@dataclass
class FormSpec:
    """A form as one role sees it: where it posts and what it holds."""

    url_name: str
    role: str
    action: str  # the path it posts to
    page: str  # where it was found
    fields: dict[str, Field]
    formless: bool = False

    @property
    def key(self) -> str:
        return f"{self.url_name}[{self.role}]"


@dataclass
class Catalogue:
    state: State
    clients: dict[str, Any]
    forms: dict[str, FormSpec]  # by FormSpec.key

    def by_url_name(self) -> dict[str, list[FormSpec]]:
        grouped: dict[str, list[FormSpec]] = {}
        for spec in self.forms.values():
            grouped.setdefault(spec.url_name, []).append(spec)
        return dict(sorted(grouped.items()))


def _pages(state: State, role: str) -> Iterator[str]:
    """Every page of the matrix this role might open (not those it never may)."""
    from django.urls import reverse

    from tests.web.test_access_matrix import MATRIX

    matrix_role = "anon" if role == "signing_in" else role
    for name, (_, methods) in MATRIX.items():
        if methods.get("GET", {}).get(matrix_role, 405) not in (403, 404, 405):
            yield reverse(name, kwargs=state.kwargs.get(name) or None)
    for extra_role, name, kwargs in state.extra_pages:
        if extra_role == role:
            yield reverse(name, kwargs=kwargs or None)


def discover(state: State, clients: dict[str, Any]) -> dict[str, FormSpec]:
    """Open every page as every role and keep each POST form once per (url name, role)."""
    from django.urls import Resolver404, resolve

    found: dict[str, FormSpec] = {}
    for role, client in clients.items():
        for path in _pages(state, role):
            with isolated(client):
                response = client.get(path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in post_forms(response.content.decode()):
                target = urlsplit(urljoin(path, form.action or path)).path
                try:
                    match = resolve(target)
                except Resolver404:
                    raise AssertionError(f"{path} has a form posting nowhere: {target}") from None
                spec = FormSpec(match.url_name or "", role, target, path, form.fields)
                known = found.get(spec.key)
                # The same action on several pages: keep the fullest version of the form.
                if known is None or len(spec.fields) > len(known.fields):
                    found[spec.key] = spec
    return found


def build_catalogue() -> Catalogue:
    """Make the state, sign everyone in, and read every form (in the caller's transaction)."""
    from django.urls import reverse

    state = prepare_state()
    for role in MATRIX_ROLES[1:]:
        sign_in_as(state.cast, role)  # a second session, so "sign that one out" shows
    clients = {role: sign_in_as(state.cast, role) for role in ROLES}
    forms = discover(state, clients)
    for name, (roles, field_names, _reason) in FORMLESS.items():
        action = reverse(name, kwargs=state.kwargs.get(name) or None)
        fields = {field: Field(field, "text") for field in field_names}
        for role in roles:
            spec = FormSpec(name, role, action, "", fields, formless=True)
            forms.setdefault(spec.key, spec)
    return Catalogue(state, clients, forms)


def refresh_sign_in(client: Any) -> None:
    """Count the client's sign-in as just now, so that "confirm it's you" pages open and
    the staff idle timeout does not end a long fuzz run."""
    import time

    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from alliance.web.middleware import IDLE_SESSION_KEY

    key = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if key is None:
        return
    session = SessionStore(session_key=key.value)
    now = time.time()
    for record in session.get("account_authentication_methods", []):
        record["at"] = now
    if IDLE_SESSION_KEY in session:
        session[IDLE_SESSION_KEY] = int(now)
    session.save()


def _is_login_redirect(response: Any) -> bool:
    from django.conf import settings
    from django.urls import reverse

    location = response.get("Location", "")
    return response.status_code == 302 and location.startswith(reverse(settings.LOGIN_URL))


def post_accepting_url_names(catalogue: Catalogue, csrf_token: str = "") -> set[str]:
    """Every URL name whose view takes a POST.

    Where the access matrix has a POST row, it says so (a signed-in role expecting
    anything but 405), and test_access_matrix holds it. The rest (allauth's pages, whose
    rows name GET only) are asked here: an empty POST as every role, and anything but
    405 counts, except a signed-out POST merely sent to the sign-in page (that is
    LoginRequiredMiddleware answering, not the view).
    """
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    from tests.web.test_access_matrix import MATRIX

    names: list[str] = []

    def walk(patterns: list[Any]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.append(pattern.name)

    walk(get_resolver().url_patterns)
    accepting: set[str] = set()
    for name in names:
        if name not in MATRIX:
            continue  # test_access_matrix fails on it first
        expected = MATRIX[name][1].get("POST")
        if expected is not None:
            if any(status != 405 for role, status in expected.items() if role != "anon"):
                accepting.add(name)
            continue
        path = reverse(name, kwargs=catalogue.state.kwargs.get(name) or None)
        for role, client in catalogue.clients.items():
            with isolated(client):
                response = client.post(path, {"csrfmiddlewaretoken": csrf_token})
            assert response.status_code < 500, f"POST {path} as {role}: {response.status_code}"
            if response.status_code == 405 or (
                role in ("anon", "signing_in") and _is_login_redirect(response)
            ):
                continue
            accepting.add(name)
            break
    return accepting


# -- valid submissions -----------------------------------------------------------------


def valid_value(field: Field, text: str) -> str | list[str]:
    """What a person filling the form in properly sends; ``text`` is added to free text."""
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.localtime() + timedelta(days=7)
    if field.kind in ("date", "datetime-local", "time", "number") and field.value:
        return field.value  # as the page filled it in
    if field.kind in ("checkbox", "select-multiple"):
        return field.checked or field.options[:1]
    if field.kind in ("hidden", "radio", "select", "button"):
        return field.value or next((option for option in field.options if option), "")
    if field.kind == "date":
        return soon.date().isoformat()
    if field.kind == "datetime-local":
        return soon.replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M")
    if field.kind == "time":
        return "09:30"
    if field.kind == "number":
        return field.attrs.get("min") or "1"
    if field.kind == "email":
        return "someone.new@example.test"
    if field.kind == "password":
        from tests.conftest import PASSWORD

        return PASSWORD
    if field.is_free_text:
        return f"{field.value} {text}".strip()
    return field.value


def valid_data(spec: FormSpec, text: str) -> dict[str, str | list[str]]:
    return {
        name: valid_value(field, text)
        for name, field in spec.fields.items()
        if name != "csrfmiddlewaretoken"
    }
