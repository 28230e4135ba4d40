"""Template helpers for roadmaps, and the roadmap cards that pages of the apps below this one
(the account's 360° page, the today view) show without importing it."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.roadmaps import selectors
from rapport.roadmaps.choices import ItemStatus
from rapport.roadmaps.drawing import owner_label
from rapport.roadmaps.models import RoadmapItem

register = template.Library()


@register.simple_tag
def account_roadmap_card(account: Account) -> selectors.AccountRoadmapCard:
    """{% account_roadmap_card account as card %}: the account's active roadmaps, one query."""
    return selectors.account_roadmap_card(account=account, today=timezone.localdate())


@register.simple_tag(takes_context=True)
def my_roadmap_items(context: Any) -> selectors.MyRoadmapItems:
    """{% my_roadmap_items as roadmap_day %}: the reader's late items and milestones this week."""
    return selectors.my_roadmap_items(user=context["request"].user, today=timezone.localdate())


@register.filter
def is_late(item: RoadmapItem, today: datetime.date | None = None) -> bool:
    """Whether an open item is past its due date (today by default)."""
    today = today or timezone.localdate()
    return item.status == ItemStatus.PLANNED and item.due_on < today


@register.filter
def days_late(item: RoadmapItem, today: datetime.date) -> int:
    return max((today - item.due_on).days, 0)


@register.filter
def days_until(day: datetime.date, today: datetime.date) -> int:
    return (day - today).days


@register.filter(name="owner_label")
def owner_label_filter(item: RoadmapItem) -> str:
    """Who owns the item: a name, or the role still waiting for one."""
    return owner_label(item)
