"""Revenue on the account timeline, the calendar and the feed, and contract ends for playbooks."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.models import Account
from rapport.communications import agenda, timeline
from rapport.communications.agenda import DUE, OVERDUE, AgendaEntry, AgendaScope
from rapport.communications.timeline import Cursor, TimelineEvent, TimelineFilters
from rapport.revenue import metrics
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.models import Contract, Opportunity
from rapport.roadmaps import automation, continuity
from rapport.roadmaps.sources import day_start, older_by_day

RENEWAL = "renewal"
OPPORTUNITY = "opportunity"
NOTICE = "notice"
# The longest notice period a contract may have (see Contract.notice_days).
LONGEST_NOTICE_DAYS = 730


class OpportunityEvents:
    """Renewals and other opportunities, on the day they close (or are expected to)."""

    name = OPPORTUNITY

    def kinds(self) -> Sequence[tuple[str, Any]]:
        return [(RENEWAL, gettext_lazy("Renewal")), (OPPORTUNITY, gettext_lazy("Opportunity"))]

    def events(
        self, *, account: Account, filters: TimelineFilters, before: Cursor | None, limit: int
    ) -> list[TimelineEvent]:
        wants_renewals, wants_others = filters.wants(RENEWAL), filters.wants(OPPORTUNITY)
        if not (wants_renewals or wants_others) or filters.stakeholder_id is not None:
            return []
        queryset: QuerySet[Opportunity] = Opportunity.objects.filter(account=account)
        if not wants_renewals:
            queryset = queryset.exclude(type=OpportunityType.RENEWAL)
        if not wants_others:
            queryset = queryset.filter(type=OpportunityType.RENEWAL)
        if filters.user_id is not None:
            queryset = queryset.filter(owner_id=filters.user_id)
        queryset = queryset.filter(older_by_day(before, self.name, "close_date"))
        rows = queryset.select_related("stage", "owner", "contract").order_by("-close_date", "-id")[
            :limit
        ]
        return [
            TimelineEvent(
                when=day_start(row.close_date),
                source=self.name,
                pk=row.pk,
                kind=RENEWAL if row.is_renewal else OPPORTUNITY,
                template="revenue/includes/timeline_opportunity.html",
                obj=row,
            )
            for row in rows
        ]


class OpportunitiesDue:
    """Open opportunities of the scope's accounts, on their close dates."""

    name = OPPORTUNITY

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        queryset = Opportunity.objects.filter(
            account__in=scope.accounts().values("pk"),
            status=OpportunityStatus.OPEN,
            close_date__lte=end,
        )
        if start is not None:
            queryset = queryset.filter(close_date__gte=start)
        rows = queryset.select_related("account").order_by("close_date", "id")
        if limit is not None:
            rows = rows[:limit]
        return [
            AgendaEntry(
                date=row.close_date,
                kind=f"{self.name}:{RENEWAL if row.is_renewal else OPPORTUNITY}",
                label=_("Renewal") if row.is_renewal else _("Opportunity"),
                title=row.name,
                url=row.get_absolute_url(),
                state=OVERDUE if row.close_date < today else DUE,
                uid=f"opportunity-{row.pk}",
                account=row.account,
                obj=row,
            )
            for row in rows
        ]


class NoticeDatesDue:
    """The last days to give notice on tacit renewals, until the client has been told."""

    name = NOTICE

    def entries(
        self,
        *,
        scope: AgendaScope,
        start: datetime.date | None,
        end: datetime.date,
        today: datetime.date,
        limit: int | None,
    ) -> list[AgendaEntry]:
        # The notice date is end_date - notice_days: the end date bounds it on both sides.
        queryset = Contract.objects.filter(
            account__in=scope.accounts().values("pk"),
            status=ContractStatus.ACTIVE,
            auto_renew=True,
            notice_days__isnull=False,
            client_notified_on__isnull=True,
            end_date__lte=end + datetime.timedelta(days=LONGEST_NOTICE_DAYS),
        )
        if start is not None:
            queryset = queryset.filter(end_date__gte=start)
        rows = [
            row
            for row in queryset.select_related("account").order_by("end_date", "id")
            if row.notice_date is not None
            and row.notice_date <= end
            and (start is None or row.notice_date >= start)
        ]
        rows.sort(key=lambda row: (row.notice_date or row.end_date, row.pk))
        if limit is not None:
            rows = rows[:limit]
        return [
            AgendaEntry(
                date=row.notice_date or row.end_date,
                kind=self.name,
                label=_("Notice date"),
                title=_("Notice date: %(contract)s renews tacitly")
                % {"contract": row.reference or row.account.name},
                url=row.get_absolute_url(),
                state=OVERDUE if (row.notice_date or row.end_date) < today else DUE,
                uid=f"contract-notice-{row.pk}",
                account=row.account,
                obj=row,
            )
            for row in rows
        ]


class ContractEnds:
    """Contract end dates, which start the renewal playbook as they come near."""

    name = "contract_end"
    playbook_kind = "renewal"

    def dates(
        self, *, today: datetime.date, until: datetime.date
    ) -> Iterable[tuple[Account, datetime.date]]:
        rows = (
            Contract.objects.filter(
                status=ContractStatus.ACTIVE,
                end_date__gte=today,
                end_date__lte=until,
                account__is_archived=False,
            )
            .select_related("account", "account__owner")
            .order_by("end_date", "id")
        )
        for row in rows.iterator(chunk_size=500):
            yield row.account, row.end_date


def arr_weights(account_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each account's ARR today, so that splitting a book balances revenue, not just counts."""
    return metrics.arr_by_account(account_ids=account_ids, day=timezone.localdate())


def register_all() -> None:
    continuity.register_weights(arr_weights)
    timeline.register(OpportunityEvents())
    agenda.register(OpportunitiesDue())
    agenda.register(NoticeDatesDue())
    automation.register(ContractEnds())
