"""Hidden ``started_at`` values a browser (or anyone) may send that are no time at which a
form was opened: impossible dates, no date at all, offsets out of range, times so far away
that converting them to UTC overflows, times before the form existed or after it was sent."""

MALFORMED_STARTED_AT = [
    "2026-02-31T10:00",  # day is out of range
    "2026-13-01T10:00",
    "2026-03-01T25:61",
    "garbage",
    "2026-03-01T10:00+25:00",  # offset out of range
    "9999-12-31T23:59:59",  # far future
    "9999-12-31T23:59:59-05:00",  # past year 9999 in UTC
    "0001-01-01T00:00+05:00",  # before year 1 in UTC
    "1970-01-01T00:00",  # long before the form existed
    "2999-01-01T00:00:00+00:00",
    "9" * 5000,
    "2026-03-01T10:00\x00",
]
