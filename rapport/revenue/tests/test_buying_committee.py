"""The buying committee an opportunity carries (from Salesforce's contact roles) on its page."""

from __future__ import annotations

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.revenue.models import OpportunityContact
from rapport.revenue.tests import factories


def test_the_opportunity_page_lists_its_buying_committee_without_people_in_the_trash(
    personas: Personas,
) -> None:
    opportunity = factories.opportunity(
        account=personas.account, close_date=timezone.localdate() + datetime.timedelta(days=30)
    )
    chosen = StakeholderFactory(account=personas.account, first_name="Hélène", last_name="Roux")
    gone = StakeholderFactory(account=personas.account, first_name="Paul", last_name="Gone")
    OpportunityContact.objects.create(
        opportunity=opportunity, stakeholder=chosen, role="Economic Buyer", is_primary=True
    )
    OpportunityContact.objects.create(opportunity=opportunity, stakeholder=gone, role="Evaluator")
    gone.deleted_at = timezone.now()
    gone.save()
    client = Client()
    client.force_login(personas.teammate)

    page = client.get(reverse("revenue:opportunity_detail", args=[opportunity.pk]))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Buying committee" in text
    assert "Hélène Roux" in text and "Economic Buyer" in text and "Main contact" in text
    assert "Paul Gone" not in text


def test_an_opportunity_without_committee_shows_no_empty_section(personas: Personas) -> None:
    opportunity = factories.opportunity(
        account=personas.account, close_date=timezone.localdate() + datetime.timedelta(days=30)
    )
    client = Client()
    client.force_login(personas.owner)

    page = client.get(reverse("revenue:opportunity_detail", args=[opportunity.pk]))

    assert page.status_code == 200
    assert "Buying committee" not in page.content.decode()
