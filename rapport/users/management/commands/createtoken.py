from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.users.models import User
from rapport.users.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user; the token is printed on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="The user's e-mail address.")
        parser.add_argument("--name", default="command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["user"].strip()).first()
        if user is None:
            raise CommandError(f"No user has the e-mail address {options['user']!r}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated.")
        token, raw = api_token_create(user=user, name=options["name"])
        self.stdout.write(
            f"Token “{token.name}” for {user.email} (keep it secret; it is not shown again):"
        )
        self.stdout.write(raw)
