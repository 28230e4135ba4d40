from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.users.choices import Role
from rapport.users.services import user_create


class Command(BaseCommand):
    help = "Create a user who signs in with an e-mail address and a password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--role", choices=[role.value for role in Role], default=Role.ACCOUNT_MANAGER
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--language", choices=["en", "fr"], default="en")
        parser.add_argument(
            "--password",
            help="Read from the terminal when omitted (safer: it stays out of shell history).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or getpass.getpass("Password: ")
        try:
            user = user_create(
                email=options["email"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=options["role"],
                language=options["language"],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from error
        self.stdout.write(f"Created {user.email} ({user.get_role_display()}).")
