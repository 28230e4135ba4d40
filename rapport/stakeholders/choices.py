from django.db import models
from django.utils.translation import gettext_lazy as _


class StakeholderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left the company")
