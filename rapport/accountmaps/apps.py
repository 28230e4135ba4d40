from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountMapsConfig(AppConfig):
    name = "rapport.accountmaps"
    label = "accountmaps"
    verbose_name = _("Account maps")
