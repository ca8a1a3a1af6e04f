"""Hypothesis strategies for fuzzing: a form's own fields, then everything around them.

A submission is drawn from the form as rendered: each field usually gets a value of its
own kind (one of its choices, a date for a date box, text for a text box), sometimes a
near miss (out of range, the wrong format, another field's kind), an edge (empty, huge,
NUL, lone surrogates, right-to-left overrides), or is left out or sent twice; extra
fields and mangled hidden tokens come along. The body is urlencoded by hand, so that
bytes no browser would send (invalid UTF-8) reach the server as they would from a script.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from tests.forms_catalogue import Field, FormSpec

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t\x0b\x0c",
    "\ud800",
    "\udfff",
    "x\ud83d",
    "\u202eevil\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "مرحبا بالعالم",
    "\ufeff",
    "\u0301\u0301\u0301",
    "🙂" * 50,
    "<script>alert(1)</script>",
    "{{ request }}",
    "{% debug %}",
    "%(name)s %s %d",
    "'; DROP TABLE accounts_user; --",
    "../../etc/passwd",
    "javascript:alert(1)",
    "//evil.example/",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "NaN",
    "-0",
    "1e309",
    "-1",
    "0",
    "99999999999999999999999999",
    "0x10",
    "١٢٣",
    "  7  ",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "1970-01-01T00:00",
    "9999-12-31T23:59",
    "2025-13-01T25:61",
    "24:00",
    "23:59:60",
    "-01:00",
]
# Names a form does not have but a handler might read.
EXTRA_NAMES = [
    "id",
    "pk",
    "user",
    "user_id",
    "client",
    "episode",
    "role",
    "is_staff",
    "is_superuser",
    "next",
    "csrfmiddlewaretoken",
    "based_on",
    "version",
    "response",
    "goal",
    "goal-999999",
    "share",
    "status",
    "active",
    "back",
    "language",
    "started_at",
    "__proto__",
    "",
]
# The CSRF secret the fuzzing clients carry in their cookie (32 characters, as Django's).
CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"

NASTY = st.sampled_from(NASTY_STRINGS)
EXTRA_NAME = st.sampled_from(EXTRA_NAMES) | st.text(max_size=20)
HUGE = st.sampled_from(
    [c * n for n in (1_000, 5_000, 20_001, 100_000) for c in ("x", "é", "🙂", "a\n", "\u202e")]
)
# What people write: mostly ordinary sentences (cheap to draw), sometimes any text at all.
WORDS = [
    "I slept badly this week",
    "Talk about work",
    "Walk to the park every morning",
    "Mi hermana",
    "Ça va mieux",
    "ملاحظة",
    "שלום",
    "😔 then 🙂",
    "Line one\nLine two\r\nLine three",
    "a",
]
TEXT = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.text(max_size=40))
# Every kind of character, lone surrogates included (they become invalid UTF-8 bytes).
ANY_CHARS = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
EDGE = st.one_of(NASTY, HUGE, ANY_CHARS)
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
DATETIMES = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))


def _numbers(attrs: dict[str, str]) -> st.SearchStrategy[str]:
    low = _int(attrs.get("min"), -(10**6))
    high = _int(attrs.get("max"), 10**6)
    return st.one_of(
        st.integers(low, max(low, high)).map(str),
        st.integers(low - 1000, high + 1000).map(str),
        st.integers().map(str),
        st.floats().map(str),
    )


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default


def _mangled(value: str) -> st.SearchStrategy[str]:
    """A hidden value, changed the ways a hand-edited page changes it."""
    return st.sampled_from(
        [
            value,
            "",
            value + "0",
            value[:-1],
            value[::-1],
            "-1",
            "0",
            "999999999",
            "9" * 40,
            value.upper(),
            value + "\x00",
        ]
    )


def own_kind(field: Field) -> st.SearchStrategy[str]:
    """A value of the field's own kind, as a browser would send it."""
    kind = field.kind
    if kind in ("radio", "select", "button", "checkbox", "select-multiple"):
        return st.sampled_from(field.options or [""])
    if kind == "date":
        return DATES.map(lambda d: d.strftime("%Y-%m-%d") if d.year >= 1000 else d.isoformat())
    if kind == "datetime-local":
        return DATETIMES.map(lambda d: d.isoformat(timespec="minutes"))
    if kind == "time":
        return st.times().map(lambda t: t.isoformat(timespec="minutes"))
    if kind == "number":
        return _numbers(field.attrs)
    if kind == "email":
        return st.sampled_from(
            ["dana@example.test", "new.person@example.test", "ALICE@EXAMPLE.TEST", "a@b"]
        )
    if kind == "hidden":
        return _mangled(field.value) if field.value else TEXT
    if kind == "password":
        return st.sampled_from(["correct horse battery staple", "password", ""]) | TEXT
    return TEXT


# A value meant for a different kind of field.
OTHER_KIND = st.one_of(
    DATES.map(str),
    DATETIMES.map(str),
    st.times().map(lambda t: t.isoformat()),
    st.integers().map(str),
    st.floats().map(str),
    st.booleans().map(str),
)


def field_values(field: Field) -> st.SearchStrategy[list[str]]:
    """What is sent under the field's name: usually one value, sometimes none or several."""
    own = own_kind(field)
    value = st.one_of(own, own, own, OTHER_KIND, EDGE)
    if field.kind in ("checkbox", "select-multiple"):
        # Several ticked boxes is normal here; so is none.
        return st.lists(value, max_size=len(field.options) + 2)
    one = value.map(lambda v: [v])
    return st.one_of(
        one,
        one,
        one,
        st.just([]),  # left out
        st.lists(value, min_size=2, max_size=3),  # sent twice (or three times)
    )


EXTRA_VALUE = st.one_of(TEXT, NASTY, OTHER_KIND)
FieldStrategies = list[tuple[str, st.SearchStrategy[list[str]]]]
_FIELD_STRATEGIES: dict[tuple[str, str, bool], FieldStrategies] = {}


def _fields_of(spec: FormSpec, *, own_only: bool) -> FieldStrategies:
    """Each field's strategy, made once per form (making strategies is not free).

    ``own_only``: every field sent once with a value of its own kind, as from a browser
    (the form is often valid then, and the saving paths run with odd but valid input).
    """
    key = (spec.key, spec.action, own_only)
    if key not in _FIELD_STRATEGIES:
        _FIELD_STRATEGIES[key] = [
            (name, own_kind(field).map(lambda v: [v]) if own_only else field_values(field))
            for name, field in spec.fields.items()
            if name != "csrfmiddlewaretoken"
        ]
    return _FIELD_STRATEGIES[key]


@dataclass(frozen=True)
class Submission:
    """One POST: the body as sent, its content type, and the CSRF token it carried."""

    body: bytes
    content_type: str
    note: str

    def __repr__(self) -> str:
        head = self.body[:400]
        more = "…" if len(self.body) > 400 else ""
        size = f"{len(self.body)} bytes"
        return f"Submission({self.note}, {self.content_type!r}, {head!r}{more}, {size})"


def _urlencode(pairs: list[tuple[str, str]]) -> bytes:
    """As a browser would, but lone surrogates go through as the bytes they stand for."""

    def encode(text: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs).encode("ascii")


# Hypothesis explores every branch of a choice about equally, whatever the weights: the
# rare cases (a bad CSRF token, a body that is no form) are drawn as one number in a
# range instead, so that they stay rare (about 1 in 12 and 1 in 20) and most examples
# reach the view. Mid-range values, as the ends of a range are drawn more often.
TOKEN = st.integers(0, 47).flatmap(
    lambda n: (
        st.sampled_from(
            [
                ([], "csrf missing"),
                ([CSRF_SECRET, "x" * 32], "csrf twice"),
                ([CSRF_SECRET[:-1]], "csrf mangled"),
                (["fuzz" * 16], "csrf mangled"),
            ]
        )
        if 20 <= n <= 23
        else st.just(([CSRF_SECRET], "csrf ok"))
    )
)
RAW_TYPE = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=nope",
        "multipart/form-data",
    ]
)
RAW_BODY = st.binary(max_size=300) | st.sampled_from([b"{}", b"[1,", b"%zz=%", b"a=%ff"])
SHAPE = st.integers(0, 39).map(lambda n: {17: "raw", 22: "multipart"}.get(n, "form"))


@st.composite
def submissions(draw: st.DrawFn, spec: FormSpec) -> Submission:
    """A POST body for this form."""
    shape = draw(SHAPE)
    if shape == "raw":
        # Not a form at all: bytes under a content type that promises something else.
        return Submission(draw(RAW_BODY), draw(RAW_TYPE), "raw")
    pairs: list[tuple[str, str]] = []
    tokens, note = draw(TOKEN)
    pairs += [("csrfmiddlewaretoken", token) for token in tokens]
    # One example in four (drawn first, so simpler examples are these) is as from a browser.
    as_from_browser = draw(st.integers(0, 3)) == 0 and bool(spec.fields)
    for name, values in _fields_of(spec, own_only=as_from_browser):
        pairs += [(name, value) for value in draw(values)]
    if not as_from_browser:
        for _ in range(draw(st.integers(0, 3) if spec.fields else st.integers(1, 6))):
            pairs.append((draw(EXTRA_NAME), draw(EXTRA_VALUE)))
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    if shape == "multipart":
        return Submission(_multipart(pairs), f"multipart/form-data; boundary={BOUNDARY}", note)
    return Submission(_urlencode(pairs), "application/x-www-form-urlencoded", note)


BOUNDARY = "fuzzBoundary7MA4YWxkTrZu0gW"


def _multipart(pairs: list[tuple[str, str]]) -> bytes:
    lines: list[bytes] = []
    for name, value in pairs:
        lines += [
            f"--{BOUNDARY}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode("utf-8", "surrogatepass"),
            b"",
            value.encode("utf-8", "surrogatepass"),
        ]
    lines += [f"--{BOUNDARY}--".encode(), b""]
    return b"\r\n".join(lines)
