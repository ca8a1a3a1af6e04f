"""English and Spanish, both complete for everything that exists."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest

import alliance

PACKAGE = Path(alliance.__file__).parent
PO = PACKAGE / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_message_is_translated() -> None:
    catalogue = polib.pofile(str(PO))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_placeholders_survive_translation() -> None:
    import re

    def names(text: str) -> list[str]:
        return sorted(re.findall(r"%\(\w+\)s", text))

    for entry in polib.pofile(str(PO)):
        if not entry.msgid_plural:
            assert names(entry.msgstr) == names(entry.msgid), entry.msgid
            continue
        # The singular may leave out the count ("a goal"); every plural form keeps it.
        for form, text in entry.msgstr_plural.items():
            source = entry.msgid if int(form) == 0 else entry.msgid_plural
            assert set(names(text)) <= set(names(entry.msgid_plural)), entry.msgid
            assert set(names(source)) - {"%(counter)s"} <= set(names(text)), entry.msgid


def test_compiled_catalogue_matches_the_source() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)):
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_catalogue_holds_every_message_in_the_code(tmp_path: Any) -> None:
    copy = tmp_path / "src" / "alliance"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "ALLIANCE_TESTING": "true",
        "PYTHONPATH": str(tmp_path / "src"),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "alliance",
            "makemessages",
            "-l",
            "es",
            "--no-location",
            "--no-obsolete",
            "--ignore",
            "instruments/*",
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/es/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(PO))}
    assert fresh - committed == set(), "run `make messages` and translate the new messages"
    assert committed - fresh == set(), "run `make messages` to drop messages no longer used"
