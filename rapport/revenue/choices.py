from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ContractStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("contract", "Active")
    RENEWED = "renewed", pgettext_lazy("contract", "Renewed")
    CHURNED = "churned", pgettext_lazy("contract", "Churned")
    CANCELLED = "cancelled", pgettext_lazy("contract", "Cancelled")


class OpportunityType(models.TextChoices):
    RENEWAL = "renewal", _("Renewal")
    UPSELL = "upsell", _("Upsell")
    CROSS_SELL = "cross_sell", _("Cross-sell")
    NEW_BUSINESS = "new_business", _("New business")


class OpportunityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity", "Open")
    WON = "won", pgettext_lazy("opportunity", "Won")
    LOST = "lost", pgettext_lazy("opportunity", "Lost")


class ForecastCategory(models.TextChoices):
    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    PIPELINE = "pipeline", _("Pipeline")
    OMITTED = "omitted", _("Omitted")


class LossReason(models.TextChoices):
    PRICE = "price", _("Price")
    BUDGET = "budget", _("Budget cut")
    COMPETITOR = "competitor", _("Went to a competitor")
    PRODUCT_FIT = "product_fit", _("Product did not fit")
    NO_ADOPTION = "no_adoption", _("Low adoption")
    SERVICE = "service", _("Service or support")
    CHAMPION_LEFT = "champion_left", _("Champion left")
    ACQUIRED = "acquired", _("Acquired or merged")
    BUSINESS_CLOSED = "business_closed", _("Business closed")
    NO_DECISION = "no_decision", _("No decision")
    OTHER = "other", _("Other")


class Consensus(models.TextChoices):
    FOR = "for", _("For")
    UNDECIDED = "undecided", _("Undecided")
    AGAINST = "against", _("Against")


class WhiteSpaceState(models.TextChoices):
    OWNED = "owned", _("Owned")
    OPEN = "open", _("Open opportunity")
    WHITE = "white", _("White space")
