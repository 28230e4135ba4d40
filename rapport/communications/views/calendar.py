"""The communication calendar: what is due, by month or as an agenda of the coming days."""

from __future__ import annotations

import calendar as calendar_module
import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers
from pydantic import Field, field_validator

from rapport.accounts.choices import Tier
from rapport.communications import agenda
from rapport.communications.agenda import AgendaEntry, AgendaScope
from rapport.core.api import InputSchema
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters
from rapport.users.models import User

AGENDA_DAYS = 60
# Beyond this many entries a page stops being readable; the filters narrow it.
MONTH_LIMIT = 1000
AGENDA_LIMIT = 500
# Months outside these years are typing slips; they also keep date arithmetic in range.
FIRST_YEAR = 1900
LAST_YEAR = 2999
WHOLE_BOOK = "book"


def parse_month(text: str) -> datetime.date | None:
    """The first day of a "YYYY-MM" month, or None for anything else."""
    year_text, _dash, month_text = text.partition("-")
    if len(year_text) != 4 or len(month_text) != 2 or not (year_text + month_text).isdigit():
        return None
    year, month = int(year_text), int(month_text)
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def previous_month(first: datetime.date) -> datetime.date:
    return (first - datetime.timedelta(days=1)).replace(day=1)


def next_month(first: datetime.date) -> datetime.date:
    # Day 28 exists in every month, and four days later is always in the next one.
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_weeks(first: datetime.date) -> list[list[datetime.date]]:
    """The weeks (Monday first) that hold the month, with the neighbouring months' days."""
    return calendar_module.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)


class CalendarFilter(InputSchema):
    view: Literal["month", "agenda"] = "month"
    month: str = Field(default="", max_length=7, description="The month shown, as YYYY-MM.")
    who: str = Field(
        default="", max_length=20, description="Empty: mine; 'book': everyone's; a user id."
    )
    tier: Tier | None = None

    @field_validator("month")
    @classmethod
    def _known_month(cls, value: str) -> str:
        if value and parse_month(value) is None:
            raise ValueError("Give the month as YYYY-MM.")
        return value

    @field_validator("who")
    @classmethod
    def _known_who(cls, value: str) -> str:
        if value and value != WHOLE_BOOK and not value.isdigit():
            raise ValueError("Give 'book' or a user id.")
        return value

    def first_day(self, today: datetime.date) -> datetime.date:
        return parse_month(self.month) or today.replace(day=1)

    def scope(self, user: User) -> AgendaScope:
        """The agenda's scope; someone else's book only for those who may see it."""
        tier = self.tier.value if self.tier else ""
        if self.who == WHOLE_BOOK:
            return AgendaScope(user=user, whole_book=True, tier=tier).effective()
        if self.who and self.who != str(user.pk):
            owner = User.objects.filter(pk=int(self.who)).first()
            if owner is not None:
                return AgendaScope(user=user, owner=owner, tier=tier).effective()
        return AgendaScope(user=user, tier=tier)


@dataclass
class CalendarDay:
    date: datetime.date
    in_month: bool
    is_today: bool
    entries: list[AgendaEntry] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(1 for entry in self.entries if entry.is_overdue)


def month_context(scope: AgendaScope, first: datetime.date, today: datetime.date) -> dict[str, Any]:
    weeks = month_weeks(first)
    start, end = weeks[0][0], weeks[-1][-1]
    found = agenda.entries(scope=scope, start=start, end=end, today=today, limit=MONTH_LIMIT + 1)
    by_day: dict[datetime.date, list[AgendaEntry]] = {}
    for entry in found[:MONTH_LIMIT]:
        by_day.setdefault(entry.date, []).append(entry)
    # Overdue work from before the grid would otherwise be out of sight.
    earlier = agenda.entries(
        scope=scope,
        start=None,
        end=min(start, today) - datetime.timedelta(days=1),
        today=today,
        limit=AGENDA_LIMIT + 1,
    )
    return {
        "first": first,
        "weeks": [
            [
                CalendarDay(
                    date=day,
                    in_month=day.month == first.month,
                    is_today=day == today,
                    entries=by_day.get(day, []),
                )
                for day in week
            ]
            for week in weeks
        ],
        "previous": previous_month(first) if first.year > FIRST_YEAR or first.month > 1 else None,
        "next": next_month(first) if first.year < LAST_YEAR or first.month < 12 else None,
        "this_month": today.replace(day=1),
        "truncated": len(found) > MONTH_LIMIT,
        "earlier_overdue": len(earlier),
        "entry_count": len(found[:MONTH_LIMIT]),
    }


def agenda_context(scope: AgendaScope, today: datetime.date) -> dict[str, Any]:
    end = today + datetime.timedelta(days=AGENDA_DAYS - 1)
    found = agenda.entries(scope=scope, start=None, end=end, today=today, limit=AGENDA_LIMIT + 1)
    shown = found[:AGENDA_LIMIT]
    upcoming = [entry for entry in shown if not entry.is_overdue]
    return {
        "end": end,
        "overdue": [entry for entry in shown if entry.is_overdue],
        "days": [
            (day, list(group))
            for day, group in itertools.groupby(upcoming, key=lambda entry: entry.date)
        ],
        "truncated": len(found) > AGENDA_LIMIT,
        "entry_count": len(shown),
    }


@login_required
@vary_on_headers("HX-Request")
def calendar(request: AppRequest) -> HttpResponse:
    filters, invalid = parse_filters(CalendarFilter, request.GET)
    scope = filters.scope(request.user)
    today = timezone.localdate()
    if filters.view == "agenda":
        context = agenda_context(scope, today)
    else:
        context = month_context(scope, filters.first_day(today), today)
    context.update(_filter_context(request, filters, scope, invalid, today))
    template = "communications/calendar.html"
    return render(request, f"{template}#results" if request.htmx else template, context)


def _filter_context(
    request: AppRequest,
    filters: CalendarFilter,
    scope: AgendaScope,
    invalid: list[str],
    today: datetime.date,
) -> dict[str, Any]:
    may_see_book = scope.may_see_book
    who = WHOLE_BOOK if scope.whole_book else str(scope.owner.pk) if scope.owner else ""
    kept = {"who": who, "tier": scope.tier}
    return {
        "base_query": urlencode({key: value for key, value in kept.items() if value}),
        "filters": filters,
        "invalid": invalid,
        "scope": scope,
        "today": today,
        "who": who,
        "may_see_book": may_see_book,
        "owners": (
            User.objects.filter(is_active=True, owned_accounts__isnull=False)
            .distinct()
            .order_by("first_name", "last_name", "email")
            if may_see_book
            else User.objects.none()
        ),
        "tiers": Tier.choices,
        "can_manage_defaults": request.user.has_perm("communications.manage_cadence_defaults"),
    }
