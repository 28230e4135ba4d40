"""The ``rapport`` command: Django's management commands with Rapport's settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    if len(args) > 1 and args[1] == "serve":
        # The development server speaks plain HTTP, so it runs the development flavour.
        os.environ.setdefault("RAPPORT_DEBUG", "1")
        args[1] = "runserver"
    elif len(args) > 1 and not args[1].startswith("-"):
        # Commands read better with hyphens (import-salesforce); Django names them with "_".
        args[1] = args[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
