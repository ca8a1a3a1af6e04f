"""A Monday morning at the practice (issue 16, part 3): clients sign in and check in,
therapists open their caseload and their clients' records.

Run by ``benchmarks/load/run.py`` (which builds the practice, starts the servers and checks
the database afterwards); on its own::

    ALLIANCE_LOAD_CLIENTS=1000 ALLIANCE_LOAD_RECORD=/tmp/acknowledged.jsonl \\
        .venv/bin/locust -f benchmarks/load/locustfile.py --headless -u 50 -r 5 -t 2m \\
        --host http://127.0.0.1:8001

The practice is the scale practice (``alliance demo --scale N``): ``client{n}@scale.test``
treated by ``therapist{ceil(n/50)}@scale.test``, every account with the demo password, staff
with the demo authenticator secret (``alliance.accounts.mfa.demo_totp_secret``, computed
here the same way).

A **client visit** (weight 10): a client not seen yet in this run (once all have been, the
next in the same order who is in no other visit now) signs in (allauth's form, CSRF token
from the page), opens their home, fills every check-in the home offers as the
page renders it (a random answer per question; PHQ-9 item 9 above 0 in ``ALLIANCE_LOAD_RISK``
of PHQ-9s, 5 % by default, else 0), is sent to the done page and opens it, looks at their
progress one time in three, and leaves. A **therapist** (weight 1) signs in with their
password and authenticator code, then opens the caseload, a client's record (from the
caseload's links) and that client's progress, with weights 3 : 2 : 1.

Every check-in POST the server acknowledges (302 to ``…/done/``) is appended, as one JSON
line, to the file ``ALLIANCE_LOAD_RECORD`` names: the client's address, the administration
id, the instrument and whether it carried a risk answer. ``run.py`` checks each against the
database. Anything else — another status, a redirect elsewhere, a form the page did not
render — is a failure in locust's figures.

The servers run as in production behind a TLS-terminating proxy on the same machine
(``ALLIANCE_BEHIND_TLS_PROXY=true``): each request carries what that proxy would add,
``X-Forwarded-Proto: https`` and the visitor's own address in ``X-Forwarded-For`` (one per
simulated person, so the sign-in rate limits see many people, not one address), and the
cookie jar sends the app's ``Secure`` (``__Host-``) cookies over the plain-HTTP loopback hop
that stands for the TLS connection. ``ALLIANCE_LOAD_SCHEME=http`` drops all of that for a
server that is not behind a proxy (a test server).

Several app servers: ``ALLIANCE_LOAD_HOSTS`` (comma-separated base URLs) spreads each
person's requests over all of them in turn, as a load balancer without sticky sessions would
(sessions live in the database, so any server serves any request); every request names the
public host the proxy would forward, ``ALLIANCE_LOAD_PUBLIC_HOST`` (default 127.0.0.1, what
the servers' ``ALLIANCE_ALLOWED_HOSTS`` allow), so that the CSRF origin check sees one site.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import threading
import time
from html.parser import HTMLParser
from typing import Any

from locust import HttpUser, between, task

DOMAIN = os.environ.get("ALLIANCE_LOAD_DOMAIN", "scale.test")
CLIENTS = int(os.environ.get("ALLIANCE_LOAD_CLIENTS", "1000"))
CLIENTS_PER_THERAPIST = 50
PASSWORD = os.environ.get("ALLIANCE_LOAD_PASSWORD", "demo-password")
RISK = float(os.environ.get("ALLIANCE_LOAD_RISK", "0.05"))
SEED = int(os.environ.get("ALLIANCE_LOAD_SEED", "20261207"))
RECORD = os.environ.get("ALLIANCE_LOAD_RECORD", "")
SCHEME = os.environ.get("ALLIANCE_LOAD_SCHEME", "https")
PUBLIC_HOST = os.environ.get("ALLIANCE_LOAD_PUBLIC_HOST", "127.0.0.1")
HOSTS = [h.rstrip("/") for h in os.environ.get("ALLIANCE_LOAD_HOSTS", "").split(",") if h]

CHECKIN_LINK = re.compile(r'href="/me/check-ins/(\d+)/"')
CLIENT_LINK = re.compile(r'href="/clinic/clients/(\d+)/"')
DONE = re.compile(r"/me/check-ins/(\d+)/done/$")

_rng = random.Random(SEED)
# Every client visit is a different client (all of them, in a seeded order, then again),
# and no client is in two visits at once: one person, one browser. (Two tabs of one client
# sending the same check-in is its own test, ``tests/web/test_checkin_sent_twice.py``; here
# it would make the server acknowledge one check-in twice, which the check counts as wrong.)
_order = list(range(1, CLIENTS + 1))
_rng.shuffle(_order)
_cycle = itertools.cycle(_order)
_visiting: set[int] = set()
_visiting_lock = threading.Lock()


def _next_client() -> int | None:
    """The next client in the order not in a visit now (None if every one is)."""
    with _visiting_lock:
        for _ in range(len(_order)):
            number = next(_cycle)
            if number not in _visiting:
                _visiting.add(number)
                return number
    return None


def _visit_over(number: int) -> None:
    with _visiting_lock:
        _visiting.discard(number)


_therapists = max(1, -(-CLIENTS // CLIENTS_PER_THERAPIST))
_next_therapist = itertools.cycle(range(1, _therapists + 1)).__next__
_record_lock = threading.Lock()


def demo_totp_secret(email: str) -> str:
    """As ``alliance.accounts.mfa.demo_totp_secret``: the demo's published secret."""
    digest = hashlib.sha256(f"alliance-demo-totp:{email.lower()}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


def totp_code(secret: str, at: float) -> str:
    """RFC 6238: six digits, 30-second steps, HMAC-SHA-1 (what allauth's TOTP checks)."""
    counter = struct.pack(">Q", int(at // 30))
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def record_acknowledged(entry: dict[str, Any]) -> None:
    if not RECORD:
        return
    with _record_lock, open(RECORD, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


class Form:
    """One POST form of a page: its hidden values, the names of its other inputs, and each
    radio group's values in the order the page shows them (answer 0 first)."""

    def __init__(self) -> None:
        self.hidden: dict[str, str] = {}
        self.fields: set[str] = set()
        self.radios: dict[str, list[str]] = {}
        self.selects: dict[str, str] = {}


class Forms(HTMLParser):
    """Every POST form of a page (the language switch in the header is one of them)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.form = Form()
            self.forms.append(self.form)
        if self.form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "hidden":
                self.form.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.form.radios.setdefault(name, []).append(a.get("value", ""))
            else:
                self.form.fields.add(name)
        elif tag in ("select", "textarea") and name:
            self.form.fields.add(name)
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select and self._select not in self.form.selects:
            self.form.selects[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form":
            self.form = None


def parse_form(html: str, field: str | None = None) -> Form | None:
    """The page's first POST form with an input named ``field`` (or, with none named, the
    first with questions to answer); None if the page has no such form."""
    parser = Forms()
    parser.feed(html)
    for form in parser.forms:
        if (field in form.fields) if field else bool(form.radios):
            return form
    return None


class Visitor(HttpUser):
    abstract = True
    host = HOSTS[0] if HOSTS else None

    def on_start(self) -> None:
        self._turn = itertools.count()
        self.address = ""

    def new_person(self, number: int, kind: int) -> None:
        """A fresh browser: empty cookie jar, the proxy's view of this person's address."""
        self.client.cookies.clear()
        self.address = f"10.{kind}.{number // 250 % 250}.{number % 250 + 1}"

    def url(self, path: str) -> str:
        if not HOSTS:
            return path
        return HOSTS[next(self._turn) % len(HOSTS)] + path

    def headers(self, path: str, post: bool) -> dict[str, str]:
        if SCHEME != "https":
            return {}
        # The proxy forwards the public host name whichever server it picks; the servers
        # here answer to 127.0.0.1 (ALLIANCE_ALLOWED_HOSTS).
        headers = {
            "Host": PUBLIC_HOST,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
        }
        if post:
            # What a browser sends with a same-origin form; Django's CSRF check compares
            # both with the (https) origin of the request.
            headers["Origin"] = f"https://{PUBLIC_HOST}"
            headers["Referer"] = f"https://{PUBLIC_HOST}{path}"
        return headers

    def keep_secure_cookies(self) -> None:
        """The app's cookies are Secure; requests would hold them back from a plain-HTTP
        URL. The loopback hop stands for the proxy's TLS connection: send them."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def get(self, path: str, name: str, expect: int = 200) -> str | None:
        with self.client.get(
            self.url(path),
            name=name,
            headers=self.headers(path, post=False),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.keep_secure_cookies()
            if response.status_code != expect:
                response.failure(f"{response.status_code} (expected {expect})")
                return None
            response.success()
            return response.text

    def post(self, path: str, name: str, form: dict[str, str]) -> tuple[int, str]:
        """POST a form; the caller judges the answer. Returns (status, Location)."""
        with self.client.post(
            self.url(path),
            name=name,
            data=form,
            headers=self.headers(path, post=True),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            self.keep_secure_cookies()
            location = response.headers.get("Location", "")
            if response.status_code != 302:
                response.failure(f"{response.status_code} (expected a 302)")
            else:
                response.success()
            return response.status_code, location

    def fail(self, name: str, why: str) -> None:
        """A failure that is no request's status: counted in locust's figures all the same."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=0,
            response_length=0,
            exception=AssertionError(why),
            context={},
        )

    def sign_in(self, email: str) -> str | None:
        """Sign in with the password; where the app sends the person next, or None."""
        page = self.get("/accounts/login/", "/accounts/login/")
        if page is None:
            return None
        form = parse_form(page, "password")
        if form is None:
            self.fail("/accounts/login/", "no sign-in form on the page")
            return None
        status, location = self.post(
            "/accounts/login/",
            "/accounts/login/ POST",
            {**form.hidden, "login": email, "password": PASSWORD},
        )
        if status != 302 or "/accounts/login/" in location:
            return None
        return (
            "/" + location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location
        )


class ClientVisit(Visitor):
    weight = 10
    wait_time = between(0.5, 2.0)

    @task
    def visit(self) -> None:
        number = _next_client()
        if number is None:  # more simulated people than clients: this one waits
            return
        try:
            self.visit_as(number)
        finally:
            _visit_over(number)

    def visit_as(self, number: int) -> None:
        email = f"client{number}@{DOMAIN}"
        self.new_person(number, kind=1)
        if self.sign_in(email) is None:
            return
        self.wait()
        home = self.get("/me/", "/me/")
        if home is None:
            return
        for administration in dict.fromkeys(CHECKIN_LINK.findall(home)):
            self.wait()
            self.check_in(email, int(administration))
        if random.random() < 1 / 3:
            self.wait()
            self.get("/me/progress/", "/me/progress/")

    def check_in(self, email: str, administration: int) -> None:
        path = f"/me/check-ins/{administration}/"
        page = self.get(path, "/me/check-ins/[id]/")
        if page is None:
            return
        form = parse_form(page)
        if form is None:
            # Not a questionnaire this scenario knows how to fill: say so, do not guess.
            self.fail("/me/check-ins/[id]/", "the check-in page has no questions to answer")
            return
        answers = dict(form.hidden)
        risk = False
        is_phq9 = "phq9-9" in form.radios
        for name, values in form.radios.items():
            answers[name] = random.choice(values)
        if is_phq9:
            risk = random.random() < RISK
            values = form.radios["phq9-9"]
            answers["phq9-9"] = random.choice(values[1:]) if risk else values[0]
        answers.update(form.selects)
        self.wait()  # answering takes a moment
        status, location = self.post(path, "/me/check-ins/[id]/ POST", answers)
        done = DONE.search(location)
        if status != 302 or done is None or int(done.group(1)) != administration:
            return
        record_acknowledged(
            {
                "client": email,
                "administration": administration,
                "phq9": is_phq9,
                "risk": risk,
                "at": time.time(),
            }
        )
        self.get(f"/me/check-ins/{administration}/done/", "/me/check-ins/[id]/done/")


class Therapist(Visitor):
    weight = 1
    wait_time = between(1.0, 4.0)

    def on_start(self) -> None:
        super().on_start()
        number = _next_therapist()
        self.new_person(number, kind=2)
        self.clients: list[str] = []
        self.signed_in = self.sign_in_with_code(f"therapist{number}@{DOMAIN}")

    def sign_in_with_code(self, email: str) -> bool:
        second_step = self.sign_in(email)
        if second_step is None:
            return False
        page = self.get(second_step, "/accounts/two-factor/authenticate/")
        if page is None:
            return False
        form = parse_form(page, "code")
        if form is None:
            self.fail(second_step, "no authenticator code form on the page")
            return False
        code = totp_code(demo_totp_secret(email), time.time())
        status, location = self.post(
            second_step,
            "/accounts/two-factor/authenticate/ POST",
            {**form.hidden, "code": code},
        )
        return status == 302 and "/accounts/" not in location

    @task(3)
    def caseload(self) -> None:
        if not self.signed_in:
            return
        page = self.get("/clinic/", "/clinic/")
        if page is not None:
            self.clients = list(dict.fromkeys(CLIENT_LINK.findall(page))) or self.clients

    @task(2)
    def record(self) -> None:
        if self.signed_in and self.clients:
            client = random.choice(self.clients)
            self.get(f"/clinic/clients/{client}/", "/clinic/clients/[id]/")

    @task(1)
    def progress(self) -> None:
        if self.signed_in and self.clients:
            client = random.choice(self.clients)
            self.get(f"/clinic/clients/{client}/progress/", "/clinic/clients/[id]/progress/")
