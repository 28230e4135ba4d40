import functools
import zoneinfo

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    HEAD_OF_ACCOUNT_MANAGEMENT = "head_of_account_management", _("Head of account management")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    ACCOUNT_EXECUTIVE = "account_executive", _("Account executive")
    TEAM_MEMBER = "team_member", _("Team member")
    READ_ONLY = "read_only", _("Read-only")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


@functools.cache
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    zones = [(name, name) for name in sorted(available_time_zones())]
    return [("", str(_("Server time zone"))), *zones]
