"""Playbooks started by events, by a periodic job that starts nothing twice.

Two events start a playbook:

- a new account (created in the last ``NEW_ACCOUNT_DAYS`` days) with no onboarding roadmap
  starts the default onboarding playbook for its segment, dated from the account's creation;
- a reference date coming near (e.g. a contract ending) starts the playbook of the kind its
  source names (e.g. renewal) once the date is within that playbook's ``lead_days``.

Each start is recorded as an ``AutomationRun`` (one per account, playbook kind and reference
date, enforced by the database) in the same transaction as the roadmap, so running the job
twice, or on two workers at once, starts nothing twice.

Who starts it: the account's manager. The roadmap is theirs to run, so it is recorded as started
by them (in "started by" and in the history), and their permission to start roadmaps on the
account is what is checked. An account without an active manager who may write is skipped with a
note in the job's report and no ``AutomationRun``, so the next run starts it once someone takes
the account over (while the event still holds).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.choices import Segment
from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.roadmaps import services
from rapport.roadmaps.choices import PlaybookKind, RoadmapStatus
from rapport.roadmaps.models import AutomationRun, Playbook, Roadmap
from rapport.users.models import User

logger = logging.getLogger(__name__)

# How recent an account must be for the job to start its onboarding: an older account without
# one was set up before Rapport, or on purpose, and is left alone.
NEW_ACCOUNT_DAYS = 30
# The default onboarding playbooks, by the names they ship with.
ENTERPRISE_ONBOARDING = "Enterprise onboarding"
MID_MARKET_ONBOARDING = "Mid-market onboarding"


# Reference date sources ----------------------------------------------------------------------


class ReferenceDateSource(Protocol):
    """Dates that start a playbook as they come near, e.g. the end dates of contracts.

    ``dates`` yields (account, reference date) pairs for reference dates between ``today``
    and ``until`` (both included); pairs outside are ignored. The job starts the active
    playbook of ``playbook_kind`` that has a lead time, ``lead_days`` before the date.
    """

    name: str
    playbook_kind: str

    def dates(
        self, *, today: datetime.date, until: datetime.date
    ) -> Iterable[tuple[Account, datetime.date]]: ...


# Empty on purpose: there is no contract data yet. The revenue capability registers a source
# of contract end dates (playbook_kind "renewal") from its AppConfig.ready, like a timeline
# source: ``automation.register(ContractEnds())``.
_sources: dict[str, ReferenceDateSource] = {}


def register(source: ReferenceDateSource) -> None:
    _sources[source.name] = source


def sources() -> list[ReferenceDateSource]:
    return [_sources[name] for name in sorted(_sources)]


# The job -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the job did about one account and one event, and why when it did nothing."""

    account: Account
    playbook_kind: str
    reference_date: datetime.date | None = None
    roadmap: Roadmap | None = None
    note: str = ""


@dataclass
class AutomationReport:
    """One run of the job: the roadmaps it started and the events it had to skip."""

    started: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)


def run_automation(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> AutomationReport:
    """Start every playbook whose event has come; safe to run any number of times."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    report = AutomationReport()
    start_onboardings(report=report, now=now)
    for source in sources():
        start_from_reference_dates(source=source, report=report, today=today)
    return report


def start_onboardings(*, report: AutomationReport, now: datetime.datetime) -> None:
    """New accounts without an onboarding roadmap start their segment's default playbook."""
    playbooks = list(
        Playbook.objects.filter(kind=PlaybookKind.ONBOARDING, is_active=True).order_by("id")
    )
    candidates = (
        Account.objects.filter(
            is_archived=False, created_at__gte=now - datetime.timedelta(days=NEW_ACCOUNT_DAYS)
        )
        .filter(
            ~Exists(Roadmap.objects.filter(account=OuterRef("pk"), kind=PlaybookKind.ONBOARDING)),
            ~Exists(
                AutomationRun.objects.filter(
                    account=OuterRef("pk"), playbook_kind=PlaybookKind.ONBOARDING
                )
            ),
        )
        .select_related("owner")
        .order_by("created_at", "pk")
    )
    for account in candidates:
        playbook = onboarding_playbook(account, playbooks)
        if playbook is None:
            report.skipped.append(
                Outcome(
                    account,
                    PlaybookKind.ONBOARDING,
                    note=_("No onboarding playbook is offered."),
                )
            )
            continue
        start = timezone.localdate(account.created_at)
        report_start(
            report, account=account, playbook=playbook, start_date=start, reference_date=None
        )


def onboarding_playbook(account: Account, playbooks: list[Playbook]) -> Playbook | None:
    """The segment's default onboarding, or any offered onboarding playbook (the oldest)."""
    wanted = (
        ENTERPRISE_ONBOARDING if account.segment == Segment.ENTERPRISE else MID_MARKET_ONBOARDING
    )
    for playbook in playbooks:
        if playbook.name.casefold() == wanted.casefold():
            return playbook
    return playbooks[0] if playbooks else None


def start_from_reference_dates(
    *, source: ReferenceDateSource, report: AutomationReport, today: datetime.date
) -> None:
    """Start the source's playbook for each date now within the playbook's lead time."""
    kind = source.playbook_kind
    playbook = (
        Playbook.objects.filter(kind=kind, is_active=True, lead_days__isnull=False)
        .order_by("id")
        .first()
    )
    if playbook is None or playbook.lead_days is None:
        return
    lead = datetime.timedelta(days=playbook.lead_days)
    until = today + lead
    # What was already started, by the job or by hand, read once rather than per date.
    done = set(
        AutomationRun.objects.filter(
            playbook_kind=kind, reference_date__gte=today, reference_date__lte=until
        ).values_list("account_id", "reference_date")
    )
    done |= set(
        Roadmap.objects.filter(kind=kind, reference_date__gte=today, reference_date__lte=until)
        .exclude(status=RoadmapStatus.CANCELLED)
        .values_list("account_id", "reference_date")
    )
    for account, reference in source.dates(today=today, until=until):
        if not today <= reference <= until or account.is_archived:
            continue
        if (account.pk, reference) in done:
            continue
        done.add((account.pk, reference))
        # The journey starts when the date comes within reach, or today if we learn of it late.
        start = max(today, reference - lead)
        report_start(
            report, account=account, playbook=playbook, start_date=start, reference_date=reference
        )


def report_start(
    report: AutomationReport,
    *,
    account: Account,
    playbook: Playbook,
    start_date: datetime.date,
    reference_date: datetime.date | None,
) -> None:
    """Start one playbook on one account, recording the outcome in the report."""
    acting_user, note = acting_user_for(account)
    if acting_user is None:
        report.skipped.append(Outcome(account, playbook.kind, reference_date, note=note))
        logger.info("Automation skipped account %s (%s): %s", account.pk, playbook.kind, note)
        return
    try:
        roadmap = start_once(
            account=account,
            playbook=playbook,
            start_date=start_date,
            reference_date=reference_date,
            acting_user=acting_user,
        )
    except (ValidationError, NotAllowedError) as error:
        problem = "; ".join(error.messages) if isinstance(error, ValidationError) else ""
        note = _("The playbook “%(playbook)s” could not start: %(problem)s") % {
            "playbook": playbook.name,
            "problem": problem or _("not allowed"),
        }
        report.skipped.append(Outcome(account, playbook.kind, reference_date, note=note))
        logger.warning("Automation could not start on account %s: %s", account.pk, note)
        return
    if roadmap is None:
        # Another run recorded it first (two workers at once): nothing to do.
        return
    report.started.append(Outcome(account, playbook.kind, reference_date, roadmap=roadmap))


def acting_user_for(account: Account) -> tuple[User | None, str]:
    """The account's manager, who starts its automated roadmaps, or why there is none."""
    owner = account.owner
    if owner is None:
        return None, _("The account has no account manager to start it.")
    if not owner.is_active:
        return None, _("The account manager can no longer sign in: the account needs an owner.")
    if not owner.has_perm("roadmaps.start_roadmap", account):
        return None, _("The account manager may not start roadmaps on this account.")
    return owner, ""


def start_once(
    *,
    account: Account,
    playbook: Playbook,
    start_date: datetime.date,
    reference_date: datetime.date | None,
    acting_user: User,
) -> Roadmap | None:
    """Start the roadmap and record the run together; None if a run for it already exists."""
    try:
        with transaction.atomic():
            # Written first: a second worker waits on the unique index, then finds it taken.
            run = AutomationRun.objects.create(
                account=account, playbook_kind=playbook.kind, reference_date=reference_date
            )
            roadmap = services.roadmap_start(
                acting_user=acting_user,
                account=account,
                playbook=playbook,
                start_date=start_date,
                reference_date=reference_date,
            )
            run.roadmap = roadmap
            run.save(update_fields=["roadmap"])
    except IntegrityError:
        taken = AutomationRun.objects.filter(
            account=account, playbook_kind=playbook.kind, reference_date=reference_date
        ).exists()
        if taken:
            return None
        raise
    return roadmap
