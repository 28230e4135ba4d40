"""Continuity pages: moving accounts, handoff briefs, accounts that need an owner, and the risk
of relationships only one of our people holds."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts.models import Account
from rapport.core.exports import export_format
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.roadmaps import continuity, exports
from rapport.roadmaps.forms.continuity import ReassignForm, ReassignPlanForm
from rapport.roadmaps.models import Reassignment

# Reassignment --------------------------------------------------------------------------------


@login_required
def reassign(request: AppRequest) -> HttpResponse:
    """Choose what moves and to whom, preview the split, adjust it, confirm."""
    require(request, "roadmaps.reassign")
    if request.method != "POST":
        return _reassign_page(request, ReassignForm(initial=_initial_choice(request.GET)))
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _reassign_page(request, form)
    confirming = "confirm" in request.POST
    plan = ReassignPlanForm(
        request.POST if confirming else None,
        accounts=form.accounts,
        receivers=form.cleaned_data["receivers"],
    )
    if confirming and plan.is_valid():
        reason = form.cleaned_data["reason"]
        result = run_service(
            plan,
            lambda: continuity.reassign_accounts(
                acting_user=request.user, moves=plan.moves(), reason=reason
            ),
        )
        if result is not None:
            messages.success(request, _moved_message(result))
            return redirect("roadmaps:reassign_batch", batch=result.batch)
    return render(request, "roadmaps/reassign_preview.html", {"form": form, "plan": plan})


def _initial_choice(query: QueryDict) -> dict[str, object]:
    """What a link from another page pre-selects: an account (by id) or a person's book."""
    initial: dict[str, object] = {}
    account_id, user_id = query.get("account", ""), query.get("from_user", "")
    if account_id.isdigit():
        account = Account.objects.filter(pk=int(account_id)).first()
        if account is not None:
            initial["account"] = account.name
    if user_id.isdigit():
        initial["from_user"] = int(user_id)
    return initial


def _reassign_page(request: AppRequest, form: ReassignForm) -> HttpResponse:
    context = {"form": form, "needs_owner_count": continuity.needs_owner_count()}
    return render(request, "roadmaps/reassign_form.html", context)


def _moved_message(result: continuity.ReassignmentResult) -> str:
    accounts = ngettext(
        "%(count)d account moved.", "%(count)d accounts moved.", len(result.rows)
    ) % {"count": len(result.rows)}
    followed = _(
        "With them: %(tasks)d open tasks, %(commitments)d commitments and %(items)d roadmap "
        "steps. The receivers are told by e-mail."
    ) % {
        "tasks": result.tasks,
        "commitments": result.commitments,
        "items": result.roadmap_items,
    }
    return f"{accounts} {followed}"


@login_required
def reassign_batch(request: AppRequest, batch: uuid.UUID) -> HttpResponse:
    """The accounts one reassignment moved, each with its handoff brief."""
    require(request, "roadmaps.view_continuity")
    rows = list(continuity.reassignment_batch(batch=batch))
    if not rows:
        raise Http404
    return render(request, "roadmaps/reassign_batch.html", {"rows": rows, "batch": batch})


@login_required
def reassign_list(request: AppRequest) -> HttpResponseBase:
    """Every account moved, latest first."""
    require(request, "roadmaps.view_continuity")
    if kind := export_format(request):
        return exports.reassignment_export(kind, continuity.reassignment_list())
    page = paginate(
        continuity.reassignment_list(),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {"page": page, "can_reassign": request.user.has_perm("roadmaps.reassign")}
    return render(request, "roadmaps/reassign_list.html", context)


# Handoff briefs ------------------------------------------------------------------------------


@login_required
def handoff_brief(request: AppRequest, pk: int) -> HttpResponse:
    """The brief of an account as it was handed over in a reassignment."""
    row = get_object_or_404(Reassignment.objects.select_related("from_user", "to_user"), pk=pk)
    return _brief_page(request, row.account, row)


@login_required
def handoff_brief_pdf(request: AppRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Reassignment.objects.select_related("from_user", "to_user"), pk=pk)
    return _brief_pdf(request, row.account, row)


@login_required
def account_brief(request: AppRequest, pk: int) -> HttpResponse:
    """The brief of any account, as it stands today."""
    return _brief_page(request, get_object_or_404(Account, pk=pk), None)


@login_required
def account_brief_pdf(request: AppRequest, pk: int) -> HttpResponse:
    return _brief_pdf(request, get_object_or_404(Account, pk=pk), None)


def _brief_page(request: AppRequest, account: Account, row: Reassignment | None) -> HttpResponse:
    require(request, "accounts.view_account", account)
    brief = continuity.handoff_brief(account=account, reassignment=row)
    pdf_url = (
        reverse("roadmaps:handoff_brief_pdf", args=[row.pk])
        if row is not None
        else reverse("roadmaps:account_brief_pdf", args=[account.pk])
    )
    context = {
        "brief": brief,
        "pdf_url": pdf_url,
        "can_reassign": request.user.has_perm("roadmaps.reassign"),
    }
    return render(request, "roadmaps/brief_detail.html", context)


def _brief_pdf(request: AppRequest, account: Account, row: Reassignment | None) -> HttpResponse:
    require(request, "accounts.view_account", account)
    brief = continuity.handoff_brief(account=account, reassignment=row)
    response = HttpResponse(continuity.brief_pdf(brief), content_type="application/pdf")
    slug = slugify(account.name) or f"account-{account.pk}"
    filename = f"{slug}-handoff-brief-{timezone.localdate().isoformat()}.pdf"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    )
    return response


# Needs an owner and continuity risk ----------------------------------------------------------


@login_required
def needs_owner(request: AppRequest) -> HttpResponse:
    """Accounts whose manager is missing or has left, to be moved."""
    require(request, "roadmaps.view_continuity")
    page = paginate(
        continuity.needs_owner_list(),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {
        "page": page,
        "departed": list(continuity.departed_owners()[: settings.RAPPORT_PAGE_SIZE]),
        "can_reassign": request.user.has_perm("roadmaps.reassign"),
    }
    return render(request, "roadmaps/continuity_needs_owner.html", context)


def querystring_without(query: QueryDict, name: str) -> str:
    """The query string minus one page number, for the other list's pagination links."""
    copy = query.copy()
    copy.pop(name, None)
    return copy.urlencode()


@login_required
def continuity_portfolio(request: AppRequest) -> HttpResponse:
    """If this person left tomorrow: people and accounts ranked by single-held relationships."""
    require(request, "roadmaps.view_continuity")
    size = settings.RAPPORT_PAGE_SIZE
    people = paginate(
        continuity.people_at_risk(), page=request.GET.get("people_page"), per_page=size
    )
    accounts = paginate(
        continuity.accounts_at_risk(), page=request.GET.get("accounts_page"), per_page=size
    )
    context = {
        "people": people,
        "person_rows": continuity.person_rows(list(people.object_list)),
        "accounts": accounts,
        "account_rows": continuity.account_rows(list(accounts.object_list)),
        "needs_owner_count": continuity.needs_owner_count(),
        "people_query": querystring_without(request.GET, "people_page"),
        "accounts_query": querystring_without(request.GET, "accounts_page"),
    }
    return render(request, "roadmaps/continuity_portfolio.html", context)
