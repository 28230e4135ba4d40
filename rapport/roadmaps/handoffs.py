"""Handoffs from the account executive and the commitments ledger: writes, and the reads they need.

The quality gate: a handoff can be submitted only when

- the account map holds at least ``settings.RAPPORT_HANDOFF_MIN_DECISION_MAKERS`` people who
  hold at least one of the decision roles *decision maker*, *economic buyer* or *champion*,
  counting only people who are active (not marked as having left, not in the trash) and real
  (not a placeholder still to identify); each person counts once, however many of these
  roles they hold;
- the client's goals are written (anything but blank space).

Submitting is one transaction: the executive joins the account team as its originator, the
chosen account manager becomes the account's owner, the promises become commitments, the
onboarding roadmap starts on the kickoff date and the handoff is recorded as submitted. If any
step is refused, nothing of it remains.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts import selectors as accounts_selectors
from rapport.accounts import services as accounts
from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.core.exceptions import NotAllowedError
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.roadmaps import services
from rapport.roadmaps.choices import CommitmentSource, CommitmentStatus, HandoffStatus, PlaybookKind
from rapport.roadmaps.models import Commitment, Handoff, Playbook
from rapport.stakeholders import services as stakeholders
from rapport.stakeholders.choices import DecisionRole, StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book

# The roles that make someone count for the gate: the people who decide, pay, or sell us inside.
GATE_ROLES = (DecisionRole.DECISION_MAKER, DecisionRole.ECONOMIC_BUYER, DecisionRole.CHAMPION)
HANDOFF_FIELDS = (
    "executive",
    "account_manager",
    "what_was_sold",
    "client_goals",
    "promises",
    "risks",
    "next_steps",
    "kickoff_date",
    "playbook",
)
NEW_ACCOUNT_FIELDS = ("name", "tier", "segment", "domain")
NEW_PERSON_FIELDS = ("first_name", "last_name", "title", "email", "decision_roles")
# "Due" in the today view: overdue, or due within the week, as the view's tasks.
DUE_SOON_DAYS = 7
TODAY_LIST_LIMIT = 20


# The quality gate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GateItem:
    done: bool
    label: str


@dataclass(frozen=True)
class HandoffGate:
    """What the account map and the goals lack before a handoff can be submitted."""

    decision_people: int
    required: int
    goals_written: bool

    @property
    def missing_people(self) -> int:
        return max(self.required - self.decision_people, 0)

    @property
    def passed(self) -> bool:
        return self.missing_people == 0 and self.goals_written

    def problems(self) -> list[str]:
        """Exactly what is missing, one sentence each."""
        problems = []
        if self.missing_people:
            problems.append(
                ngettext(
                    "Add %(count)d more stakeholder with a decision role (decision maker, "
                    "economic buyer or champion): the map has %(have)d of %(need)d.",
                    "Add %(count)d more stakeholders with a decision role (decision maker, "
                    "economic buyer or champion): the map has %(have)d of %(need)d.",
                    self.missing_people,
                )
                % {
                    "count": self.missing_people,
                    "have": self.decision_people,
                    "need": self.required,
                }
            )
        if not self.goals_written:
            problems.append(_("Write the client's goals."))
        return problems

    def checklist(self) -> list[GateItem]:
        """The gate's two conditions, met or not, for the form's live checklist."""
        people = (
            GateItem(
                done=True,
                label=_(
                    "Stakeholders with a decision role (decision maker, economic buyer or "
                    "champion): %(have)d of %(need)d."
                )
                % {"have": self.decision_people, "need": self.required},
            )
            if not self.missing_people
            else GateItem(done=False, label=self.problems()[0])
        )
        goals = GateItem(
            done=self.goals_written,
            label=_("The client's goals are written.")
            if self.goals_written
            else _("Write the client's goals."),
        )
        return [people, goals]


def counts_for_gate(roles: Iterable[str]) -> bool:
    return any(role in GATE_ROLES for role in roles)


def gate_for(*, people_roles: Iterable[Iterable[str]], client_goals: str) -> HandoffGate:
    """The gate for people with these decision roles (already limited to active, real people)."""
    return HandoffGate(
        decision_people=sum(1 for roles in people_roles if counts_for_gate(roles)),
        required=settings.RAPPORT_HANDOFF_MIN_DECISION_MAKERS,
        goals_written=bool(client_goals.strip()),
    )


def handoff_gate(
    *,
    account: Account | None,
    client_goals: str,
    role_changes: Mapping[int, Sequence[str]] | None = None,
    new_people: Iterable[Sequence[str]] = (),
) -> HandoffGate:
    """The gate for an account's map as it is, or as a form would leave it, unsaved."""
    changes = role_changes or {}
    roles: list[Iterable[str]] = []
    if account is not None and account.pk is not None:
        for pk, current in gate_people(account).values_list("pk", "decision_roles"):
            roles.append(changes.get(pk, current))
    roles.extend(new_people)
    return gate_for(people_roles=roles, client_goals=client_goals)


def gate_people(account: Account) -> QuerySet[Stakeholder]:
    """The people of the account who may count for the gate: active and real."""
    return Stakeholder.objects.filter(
        account=account, status=StakeholderStatus.ACTIVE, is_placeholder=False
    ).order_by("search_last_name", "search_name", "id")


# Who and what a handoff may name -------------------------------------------------------------


def handoff_account_managers() -> QuerySet[User]:
    """Who may receive a handoff: active account managers and heads of account management."""
    return User.objects.filter(
        is_active=True, role__in=(Role.ACCOUNT_MANAGER, Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    ).order_by("first_name", "last_name", "email")


def handoff_executives() -> QuerySet[User]:
    """Who may give a handoff: active account executives."""
    return User.objects.filter(is_active=True, role=Role.ACCOUNT_EXECUTIVE).order_by(
        "first_name", "last_name", "email"
    )


def onboarding_playbooks() -> QuerySet[Playbook]:
    return Playbook.objects.filter(is_active=True, kind=PlaybookKind.ONBOARDING)


def _check_names(handoff: Handoff, *, acting_user: User) -> None:
    """Refuse an account manager, executive or playbook the handoff may not name."""
    errors: dict[str, str] = {}
    manager = handoff.account_manager
    if not handoff_account_managers().filter(pk=manager.pk).exists():
        errors["account_manager"] = _(
            "%(person)s cannot receive a handoff: choose an active account manager or head of "
            "account management."
        ) % {"person": manager}
    executive = handoff.executive
    if not executive.is_active or executive.is_read_only:
        errors["executive"] = _("%(person)s can no longer give a handoff.") % {"person": executive}
    elif executive.pk != acting_user.pk and not is_manager_of_the_book.test(acting_user):
        errors["executive"] = _("Only a manager of the book may hand off for someone else.")
    if not onboarding_playbooks().filter(pk=handoff.playbook_id).exists():
        errors["playbook"] = _("Choose an onboarding playbook that is still offered.")
    if errors:
        raise ValidationError(errors)


def _check_may_edit(account: Account, *, acting_user: User) -> None:
    if not acting_user.has_perm("accounts.change_account", account):
        raise ValidationError(
            {
                "account": _(
                    "You are not on the team of %(account)s: ask its account manager or the "
                    "head of account management to add you, or choose another account."
                )
                % {"account": account}
            }
        )


def _lock_draft(handoff: Handoff, *, expected_version: int | None) -> Handoff:
    locked = lock_versioned(Handoff, pk=handoff.pk, expected_version=expected_version)
    if locked.status != HandoffStatus.DRAFT:
        raise ValidationError(_("This handoff was already submitted; it can no longer change."))
    return locked


# Writes --------------------------------------------------------------------------------------


@transaction.atomic
def handoff_save_draft(
    *,
    acting_user: User,
    account: Account,
    data: Mapping[str, Any],
    handoff: Handoff | None = None,
    expected_version: int | None = None,
) -> Handoff:
    """Create or change a handoff while it is a draft; nothing else changes yet."""
    if handoff is None:
        require_permission(acting_user, "roadmaps.add_handoff")
        # A new row has no related objects to compare with: its fields are set, not applied.
        fields = {name: data[name] for name in HANDOFF_FIELDS if name in data}
        draft = Handoff(**{"executive": acting_user, **fields, "account": account})
    else:
        require_permission(acting_user, "roadmaps.change_handoff", handoff)
        draft = _lock_draft(handoff, expected_version=expected_version)
        draft.account = account
        apply_fields(draft, data, HANDOFF_FIELDS)
    _check_may_edit(account, acting_user=acting_user)
    draft.full_clean()
    _check_names(draft, acting_user=acting_user)
    if draft.pk is None:
        draft._history_user = acting_user
        draft.save()
    else:
        save_versioned(draft, acting_user=acting_user)
    return draft


@transaction.atomic
def handoff_submit(
    *, handoff: Handoff, acting_user: User, expected_version: int | None = None
) -> Handoff:
    """Pass the client on: refused whole unless the gate is met and every step succeeds."""
    require_permission(acting_user, "roadmaps.change_handoff", handoff)
    locked = _lock_draft(handoff, expected_version=expected_version)
    _check_names(locked, acting_user=acting_user)
    gate = handoff_gate(account=locked.account, client_goals=locked.client_goals)
    if not gate.passed:
        raise ValidationError(gate.problems(), code="handoff_gate")
    manager, executive = locked.account_manager, locked.executive
    # The executive joins as originator first, so that they keep the right to finish the
    # submission once the account has its new owner.
    _ensure_originator(locked.account, executive=executive, acting_user=acting_user)
    account = accounts.account_update(
        account=locked.account,
        acting_user=acting_user,
        data={"owner": manager, "originating_executive": executive},
        expected_version=None,
    )
    for line in services.commitments_from_lines(locked.promises):
        services.commitment_create(
            acting_user=acting_user,
            account=account,
            data={"title": line, "owner": manager},
            source=CommitmentSource.HANDOFF,
            handoff=locked,
        )
    roadmap = services.roadmap_start(
        acting_user=acting_user,
        account=account,
        playbook=locked.playbook,
        start_date=locked.kickoff_date,
    )
    locked.account = account
    locked.roadmap = roadmap
    locked.status = HandoffStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    save_versioned(locked, acting_user=acting_user)
    handoff_pk = locked.pk
    transaction.on_commit(lambda: notify_handoff_submitted(handoff_pk=handoff_pk))
    return locked


def _ensure_originator(account: Account, *, executive: User, acting_user: User) -> None:
    today = timezone.localdate()
    on_team = (
        TeamMember.objects.filter(account=account, user=executive, role=TeamRole.ACCOUNT_EXECUTIVE)
        .filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
        .exists()
    )
    if not on_team:
        accounts.team_member_add(
            account=account,
            acting_user=acting_user,
            user=executive,
            role=TeamRole.ACCOUNT_EXECUTIVE,
            note=_("Originator (handoff)"),
        )


@transaction.atomic
def handoff_record(
    *,
    acting_user: User,
    handoff: Handoff | None,
    account: Account | None,
    new_account: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    new_people: Sequence[Mapping[str, Any]] = (),
    role_changes: Mapping[int, Sequence[str]] | None = None,
    submit: bool = False,
    expected_version: int | None = None,
) -> Handoff:
    """Save a handoff as its form gives it — the account, its people, the draft, and the
    submission if asked — all or nothing: a refused submission leaves nothing written."""
    if handoff is None:
        require_permission(acting_user, "roadmaps.add_handoff")
    else:
        require_permission(acting_user, "roadmaps.change_handoff", handoff)
    if account is None:
        if not new_account:
            raise ValidationError({"account": _("Choose an account or name a new one.")})
        executive = data.get("executive") or acting_user
        account = accounts.account_create(
            acting_user=acting_user,
            data={
                **{key: new_account[key] for key in NEW_ACCOUNT_FIELDS if key in new_account},
                "originating_executive": executive,
            },
        )
    _check_may_edit(account, acting_user=acting_user)
    for person in new_people:
        stakeholders.stakeholder_create(
            account=account,
            acting_user=acting_user,
            data={key: person[key] for key in NEW_PERSON_FIELDS if key in person},
        )
    _apply_roles(account, role_changes or {}, acting_user=acting_user)
    draft = handoff_save_draft(
        acting_user=acting_user,
        account=account,
        data=data,
        handoff=handoff,
        expected_version=expected_version,
    )
    if submit:
        return handoff_submit(handoff=draft, acting_user=acting_user)
    return draft


def _apply_roles(
    account: Account, role_changes: Mapping[int, Sequence[str]], *, acting_user: User
) -> None:
    """Set the decision roles of people already on the map; only those that changed are saved."""
    if not role_changes:
        return
    people = Stakeholder.objects.filter(account=account, pk__in=list(role_changes))
    for person in people:
        wanted = [role for role in DecisionRole.values if role in role_changes[person.pk]]
        if list(person.decision_roles) != wanted:
            stakeholders.stakeholder_update(
                stakeholder=person,
                acting_user=acting_user,
                data={"decision_roles": wanted},
                expected_version=None,
            )


def may_acknowledge(user: User, handoff: Handoff) -> bool:
    """Only the account manager a handoff names, while they may write, takes the client on."""
    return handoff.account_manager_id == user.pk and bool(
        user.has_perm("roadmaps.acknowledge_handoff", handoff)
    )


@transaction.atomic
def handoff_acknowledge(*, handoff: Handoff, acting_user: User, note: str = "") -> Handoff:
    """The named account manager takes the client on; the executive hears of it by e-mail."""
    locked = lock_versioned(Handoff, pk=handoff.pk, expected_version=None)
    require_permission(acting_user, "roadmaps.acknowledge_handoff", locked)
    # A superuser passes every permission check; this one is the named person's alone.
    if not may_acknowledge(acting_user, locked):
        raise NotAllowedError("roadmaps.acknowledge_handoff")
    if locked.status == HandoffStatus.ACKNOWLEDGED:
        raise ValidationError(_("This handoff was already acknowledged."))
    if locked.status != HandoffStatus.SUBMITTED:
        raise ValidationError(_("This handoff has not been submitted yet."))
    locked.status = HandoffStatus.ACKNOWLEDGED
    locked.acknowledged_at = timezone.now()
    locked.acknowledgement_note = note.strip()
    save_versioned(locked, acting_user=acting_user)
    handoff_pk = locked.pk
    transaction.on_commit(lambda: notify_handoff_acknowledged(handoff_pk=handoff_pk))
    return locked


# Notifications -------------------------------------------------------------------------------


def _send(to: User, subject: Any, body: Any) -> None:
    """One plain e-mail in the reader's language and time zone; builders run inside both."""
    if not to.is_active or not to.email:
        return
    with (
        translation.override(to.language or settings.LANGUAGE_CODE),
        timezone.override(to.time_zone or settings.TIME_ZONE),
    ):
        send_mail(subject(), body(), None, [to.email])


def _link(handoff: Handoff) -> str:
    return settings.RAPPORT_BASE_URL.rstrip("/") + reverse(
        "roadmaps:handoff_detail", args=[handoff.pk]
    )


def _handoff_for_mail(handoff_pk: int) -> Handoff | None:
    return (
        Handoff.objects.select_related("account", "executive", "account_manager")
        .filter(pk=handoff_pk)
        .first()
    )


def notify_handoff_submitted(*, handoff_pk: int) -> None:
    """Tell the account manager a client was handed to them."""
    handoff = _handoff_for_mail(handoff_pk)
    if handoff is None:
        return
    names = {"executive": handoff.executive, "account": handoff.account.name}

    def body() -> str:
        lines = [
            _("Hello %(name)s,") % {"name": handoff.account_manager.first_name or ""},
            "",
            _("%(executive)s handed %(account)s over to you; the kickoff is on %(day)s.")
            % {**names, "day": date_format(handoff.kickoff_date, "DATE_FORMAT")},
            _("Read the handoff and acknowledge it:"),
            _link(handoff),
        ]
        return "\n".join(lines) + "\n"

    _send(
        handoff.account_manager,
        lambda: _("%(executive)s handed %(account)s over to you") % names,
        body,
    )


def notify_handoff_acknowledged(*, handoff_pk: int) -> None:
    """Tell the executive their handoff was taken on, with the account manager's note."""
    handoff = _handoff_for_mail(handoff_pk)
    if handoff is None or handoff.acknowledged_at is None:
        return
    names = {"manager": handoff.account_manager, "account": handoff.account.name}

    def body() -> str:
        moment = timezone.localtime(handoff.acknowledged_at)
        lines = [
            _("Hello %(name)s,") % {"name": handoff.executive.first_name or ""},
            "",
            _("%(manager)s acknowledged your handoff of %(account)s on %(day)s.")
            % {**names, "day": date_format(moment, "DATETIME_FORMAT")},
        ]
        if handoff.acknowledgement_note:
            lines += ["", _("Their note:"), handoff.acknowledgement_note]
        lines += ["", _("The handoff:"), _link(handoff)]
        return "\n".join(lines) + "\n"

    _send(
        handoff.executive,
        lambda: _("%(manager)s acknowledged the handoff of %(account)s") % names,
        body,
    )


# Reads ---------------------------------------------------------------------------------------


def handoff_list(*, user: User) -> QuerySet[Handoff]:
    """Handoffs the reader may see: every one but other people's drafts (all, for managers)."""
    queryset = Handoff.objects.select_related("account", "executive", "account_manager")
    if not user.is_authenticated:
        return queryset.none()
    if not is_manager_of_the_book.test(user):
        queryset = queryset.exclude(Q(status=HandoffStatus.DRAFT) & ~Q(executive=user))
    return queryset


def handoff_detail(*, user: User, pk: int) -> Handoff:
    """One handoff with what its page shows; other people's drafts do not exist for the reader."""
    return (
        handoff_list(user=user).select_related("playbook", "roadmap", "account__owner").get(pk=pk)
    )


def handoffs_waiting_for(*, user: User, limit: int = TODAY_LIST_LIMIT) -> list[Handoff]:
    """Handoffs submitted to this person and not yet acknowledged, oldest first."""
    return list(
        Handoff.objects.filter(account_manager=user, status=HandoffStatus.SUBMITTED)
        .select_related("account", "executive")
        .order_by("submitted_at", "id")[:limit]
    )


def commitment_list(*, user: User) -> QuerySet[Commitment]:
    """Commitments with what a row shows, soonest due first (undated last)."""
    queryset = Commitment.objects.select_related("account", "owner")
    return queryset if user.is_authenticated else queryset.none()


def commitments_due(
    *, user: User, today: datetime.date, limit: int = TODAY_LIST_LIMIT
) -> QuerySet[Commitment]:
    """A person's open commitments overdue or due within the week."""
    until = today + datetime.timedelta(days=DUE_SOON_DAYS - 1)
    queryset = commitment_list(user=user).filter(
        owner=user, status=CommitmentStatus.OPEN, due_on__lte=until
    )
    return queryset.order_by("due_on", "id")


def mark_changeable_commitments(*, user: User, commitments: Sequence[Commitment]) -> None:
    """Set ``can_change`` on each commitment of a list, in at most one query for the list.

    Mirrors ``roadmaps.change_commitments`` (whoever may edit the account), whose team test
    would otherwise run a query for every row.
    """
    accounts_selectors.mark_editable(user=user, records=commitments)
