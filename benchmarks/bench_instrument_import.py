"""A large imported Questionnaire: the import, then "Ask for a questionnaire" in new processes.

    .venv/bin/python benchmarks/bench_instrument_import.py [--items 1000] [--options 10]
        [--text 300] [--processes 2] [--requests 5]

A temporary database (``alliance migrate``) gets a therapist with an authenticator app and
one client in an episode of care (through the services). A FHIR Questionnaire is written to
a file: ``--items`` choice items, each with ``--options`` answer options carrying
``ordinalValue`` weights, item texts and option displays ``--text`` characters long (the
defaults make 4.9 MB, just within the import limits). It is
imported with ``alliance instruments import FILE`` as its own process: wall time and that
process's peak memory (``ru_maxrss`` from ``os.wait4``) are printed, and whether it was
imported or refused.

Before the import, as controls: the same page in a new process with nothing imported, and
the time ``alliance instruments list`` takes (a command's start-up). Then, ``--processes``
times, a new Python process (as a new ``alliance serve`` worker is) sets Django up, signs
the therapist in (``force_login``) and asks for the page behind "Ask for a questionnaire"
(``GET /clinic/episodes/<id>/questionnaires/new/``, with ``django.test.Client``: the whole
request, middleware, view, form and template) ``--requests`` times; each request's time
is printed, the first one apart (a new process has registered no imported instrument yet).

Progress goes to stderr; results to stdout; the last line is the first request's time in
the last new process, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _setup import ALLIANCE, ROOT, bench_env, fresh_database, machine, progress

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"

PAGE = """
import json, sys, time
import django
django.setup()
from django.test import Client
from django.urls import reverse
from alliance.accounts.models import User
from alliance.care.models import Episode
therapist = User.objects.get(email="therapist@bench.test")
episode = Episode.objects.get(therapist=therapist)
browser = Client(HTTP_HOST="127.0.0.1")
browser.force_login(therapist)
url = reverse("questionnaire_request", args=[episode.pk])
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    response = browser.get(url)
    times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code
    assert (b"Large questionnaire" in response.content) == (sys.argv[2] == "imported")
print(json.dumps(times))
"""


def questionnaire(items: int, options: int, text: int) -> dict[str, object]:
    filler = ("How much has this bothered you over the last two weeks? " * (text // 50 + 1))[:text]
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "Large questionnaire",
        "version": "1.0.0",
        "item": [
            {
                "linkId": f"q{n}",
                "type": "choice",
                "text": f"{n}. {filler}",
                "answerOption": [
                    {
                        "valueCoding": {"code": f"a{k}", "display": f"{k}: {filler}"},
                        "extension": [{"url": ORDINAL, "valueDecimal": k}],
                    }
                    for k in range(options)
                ],
            }
            for n in range(1, items + 1)
        ],
    }


def run_import(path: Path, env: dict[str, str]) -> str:
    """Import ``path`` in a process of its own: its time, peak memory and outcome."""
    out, err = path.with_suffix(".out"), path.with_suffix(".err")
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(
            [str(ALLIANCE), "instruments", "import", str(path)],
            env=env,
            cwd=ROOT,
            stdout=stdout,
            stderr=stderr,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    outcome = "imported" if os.waitstatus_to_exitcode(status) == 0 else "refused"
    print(f"import: {outcome} in {elapsed:,.1f} s, peak memory {usage.ru_maxrss / 1024:,.0f} MB")
    lines = err.read_text().strip().splitlines()
    print(f"  {(lines[0] if lines else '')[:160]}")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--options", type=int, default=10)
    parser.add_argument("--text", type=int, default=300)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()

    var_dir = fresh_database("import")
    from alliance.accounts.mfa import totp_activate
    from alliance.accounts.services import user_create
    from alliance.care.services import episode_open

    therapist = user_create(
        actor=None,
        email="therapist@bench.test",
        password="a-long-bench-passphrase",
        preferred_name="Therapist",
        role="therapist",
    )
    totp_activate(user=therapist, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = user_create(
        actor=None,
        email="client@bench.test",
        password="a-long-bench-passphrase",
        preferred_name="Client",
        role="client",
    )
    episode_open(actor=therapist, client=client, therapist=therapist)

    path = var_dir / "large-questionnaire.json"
    path.write_text(json.dumps(questionnaire(args.items, args.options, args.text)))
    size = path.stat().st_size
    print(f"machine: {machine()}")
    print(
        f"file: {args.items:,} items x {args.options} options, texts of {args.text} characters; "
        f"{size / 1_000_000:,.1f} MB"
    )
    env = bench_env(var_dir)
    progress("control: the page in a new process, nothing imported yet")
    page_in_new_process("control, nothing imported yet", env, args.requests, "none")
    progress("control: alliance instruments list (start-up)")
    started = time.perf_counter()
    subprocess.run(
        [str(ALLIANCE), "instruments", "list"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    print(f"control, `alliance instruments list`: {time.perf_counter() - started:,.1f} s")
    progress("alliance instruments import")
    outcome = run_import(path, env)

    first = 0.0
    for n in range(1, args.processes + 1):
        progress(f"new process {n}: {args.requests} requests")
        first = page_in_new_process(f"new process {n}", env, args.requests, outcome)
    print(f"{first:.1f}")


def page_in_new_process(name: str, env: dict[str, str], requests: int, outcome: str) -> float:
    """The page ``requests`` times in a new process; the first request's time."""
    done = subprocess.run(
        [sys.executable, "-c", PAGE, str(requests), outcome],
        env={**env, "PYTHONPATH": str(ROOT / "src")},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    times = json.loads(done.stdout.strip().splitlines()[-1])
    rest = sorted(times[1:])
    median = rest[len(rest) // 2] if rest else float("nan")
    print(
        f"{name}: first request {times[0]:,.1f} ms; "
        f"the next {len(rest)}: median {median:,.1f} ms, max {max(rest, default=0):,.1f} ms"
    )
    return float(times[0])


if __name__ == "__main__":
    main()
