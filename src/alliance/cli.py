"""The ``alliance`` command: Django's manage.py with Alliance's settings."""

from __future__ import annotations

import os
import sys

# Answered before Django starts: with debug off the settings refuse to load until the
# keys exist, and this is the command that makes them.
BEFORE_SETTINGS = "generate-key"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == [BEFORE_SETTINGS]:
        from alliance.lib.keys import generate_key_main

        generate_key_main(args[1:])
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["alliance", *args])


if __name__ == "__main__":
    main()
