from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key")
    GROWTH = "growth", _("Growth")
    MAINTAIN = "maintain", _("Maintain")


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    MID_MARKET = "mid_market", _("Mid-market")
    SMALL_BUSINESS = "small_business", _("Small business")
    PUBLIC_SECTOR = "public_sector", _("Public sector")


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTION = "adoption", _("Adoption")
    GROWTH = "growth", _("Growth")
    RENEWAL = "renewal", _("Renewal")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    FINANCIAL_SERVICES = "financial_services", _("Financial services")
    HEALTHCARE = "healthcare", _("Healthcare")
    RETAIL = "retail", _("Retail")
    SOFTWARE = "software", _("Software")
    ENERGY = "energy", _("Energy")
    LOGISTICS = "logistics", _("Logistics")
    TELECOMMUNICATIONS = "telecommunications", _("Telecommunications")
    PUBLIC_SECTOR = "public_sector", _("Public sector")
    EDUCATION = "education", _("Education")
    MEDIA = "media", _("Media")
    PROFESSIONAL_SERVICES = "professional_services", _("Professional services")


class TeamRole(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    ACCOUNT_EXECUTIVE = "account_executive", _("Account executive")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
    SUPPORT_LEAD = "support_lead", _("Support lead")
    SALES_ENGINEER = "sales_engineer", _("Sales engineer")
    MARKETING = "marketing", _("Marketing")
    OTHER = "other", _("Other")


class AccountSort(models.TextChoices):
    NAME = "name", _("Name (A–Z)")
    NAME_DESC = "-name", _("Name (Z–A)")
    UPDATED = "-updated_at", _("Recently updated")
    EMPLOYEES = "-employees", _("Largest first")
    TIER = "tier", _("Tier")
    COVERAGE = "coverage", _("Least covered first")
    COVERAGE_DESC = "-coverage", _("Best covered first")
    LAST_CONTACT = "last_contact", _("Longest without contact first")
    LAST_CONTACT_DESC = "-last_contact", _("Most recently contacted first")
