"""The `supportdesk` console command: Django's manage.py plus the project's own commands."""

from __future__ import annotations

import os
import sys

ALIASES = {"import-records": "import_records"}  # Django command modules cannot have "-"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    args[:1] = [ALIASES.get(args[0], args[0])] if args else []
    execute_from_command_line(["supportdesk", *args])


if __name__ == "__main__":
    main()
