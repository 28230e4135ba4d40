"""Template helpers for the log: Markdown notes, "how long ago", and the communications cards
that pages of the apps below this one (accounts, stakeholders) show without importing it."""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts.models import Account
from rapport.communications import selectors, timeline
from rapport.communications.forms import QuickLogForm
from rapport.communications.markdown import render_markdown
from rapport.communications.models import CadenceRule, Task, Touchpoint
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

register = template.Library()

RECENT_EVENTS = 5
RECENT_TOUCHPOINTS = 5


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text or "")


def days_since(moment: datetime.datetime | None) -> int | None:
    """Whole days from a moment to today, both in the reader's time zone."""
    if moment is None:
        return None
    return (timezone.localdate() - timezone.localdate(moment)).days


@register.filter
def days_ago(moment: datetime.datetime | None) -> str:
    """ "today", "yesterday", "12 days ago" (or "in 3 days" for a planned exchange)."""
    days = days_since(moment)
    if days is None:
        return ""
    if days == 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    if days < 0:
        return ngettext("in %(count)d day", "in %(count)d days", -days) % {"count": -days}
    return ngettext("%(count)d day ago", "%(count)d days ago", days) % {"count": days}


@register.filter
def can_change_task(task: Task, user: User) -> bool:
    """Whether the reader may complete or edit a task; lists work it out for all rows at once."""
    known = getattr(task, "can_change", None)
    if known is not None:
        return bool(known)
    return bool(user.has_perm("communications.change_task", task))


class AccountCommunications:
    """What the account's 360° page shows of its exchanges; each part is read when drawn."""

    def __init__(self, *, account: Account, user: User) -> None:
        self.account = account
        self.user = user

    @property
    def last_contact_at(self) -> datetime.datetime | None:
        return self.account.last_contact_at

    @cached_property
    def can_log(self) -> bool:
        return bool(self.user.has_perm("communications.add_touchpoint"))

    @cached_property
    def quick_log_form(self) -> QuickLogForm | None:
        if not self.can_log:
            return None
        return QuickLogForm(user=self.user, account=self.account)

    @cached_property
    def recent_events(self) -> list[timeline.TimelineEvent]:
        events = timeline.account_timeline(account=self.account, limit=RECENT_EVENTS).events
        tasks = [event.obj for event in events if isinstance(event.obj, Task)]
        selectors.mark_changeable_tasks(user=self.user, tasks=tasks)
        return events

    @cached_property
    def open_task_count(self) -> int:
        return Task.objects.open().filter(account=self.account).count()

    @cached_property
    def cadence_rules(self) -> list[CadenceRule]:
        return list(CadenceRule.objects.filter(account=self.account).order_by("next_due_on", "id"))

    @cached_property
    def today(self) -> datetime.date:
        return timezone.localdate()


class StakeholderCommunications:
    """A client person's last contact and the latest touchpoints they took part in."""

    def __init__(self, *, stakeholder: Stakeholder) -> None:
        self.stakeholder = stakeholder

    @property
    def last_contact_at(self) -> datetime.datetime | None:
        return self.stakeholder.last_contact_at

    @property
    def recent_url(self) -> str:
        """Where the page fetches the latest touchpoints with them."""
        query = urlencode({"stakeholder": self.stakeholder.pk, "recent": 1})
        return f"{reverse('communications:touchpoint_list')}?{query}"

    @cached_property
    def recent_touchpoints(self) -> list[Touchpoint]:
        return selectors.touchpoints_with_stakeholder(
            stakeholder_id=self.stakeholder.pk, limit=RECENT_TOUCHPOINTS
        )


@register.simple_tag(takes_context=True)
def account_communications(context: Any, account: Account) -> AccountCommunications:
    """{% account_communications account as comms %}: the account's communications card."""
    return AccountCommunications(account=account, user=context["request"].user)


@register.simple_tag
def stakeholder_communications(stakeholder: Stakeholder) -> StakeholderCommunications:
    """{% stakeholder_communications stakeholder as comms %}: a person's recent exchanges."""
    return StakeholderCommunications(stakeholder=stakeholder)
