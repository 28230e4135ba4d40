from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportKind(models.TextChoices):
    SALESFORCE = "salesforce", _("Salesforce data export")
    SPREADSHEET = "spreadsheet", _("Spreadsheet")


class ImportTarget(models.TextChoices):
    """What a spreadsheet's rows become."""

    ACCOUNTS = "accounts", _("Accounts")
    STAKEHOLDERS = "stakeholders", _("Stakeholders")
    TOUCHPOINTS = "touchpoints", _("Touchpoints")
    CONTRACTS = "contracts", _("Contracts")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("import", "Queued")
    RUNNING = "running", pgettext_lazy("import", "Running")
    DONE = "done", pgettext_lazy("import", "Done")
    REFUSED = "refused", pgettext_lazy("import", "Refused")
    FAILED = "failed", pgettext_lazy("import", "Failed")
