"""Account pages: the book, the 360° page, edits, the team and the history."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts import exports, selectors, services
from rapport.accounts.choices import AccountSort, Industry, LifecycleStage, Tier
from rapport.accounts.filters import AccountFilter
from rapport.accounts.forms import AccountForm, TeamMemberForm
from rapport.accounts.models import Account, TeamMember
from rapport.core.exports import export_format
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require, run_service
from rapport.users.models import User


@login_required
@vary_on_headers("HX-Request")
def account_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(AccountFilter, request.GET)
    if kind := export_format(request):
        accounts = selectors.account_list(user=request.user, filters=filters)
        return exports.account_export(kind, accounts)
    page = paginate(
        selectors.account_list(user=request.user, filters=filters),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "owners": User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        "can_add": request.user.has_perm("accounts.add_account"),
        "filters_query": querystring_without_page(request.GET),
        "tiers": Tier.choices,
        "stages": LifecycleStage.choices,
        "industries": Industry.choices,
        "sorts": AccountSort.choices,
    }
    template = (
        "accounts/account_list.html#results" if request.htmx else "accounts/account_list.html"
    )
    return render(request, template, context)


@login_required
def account_detail(request: AppRequest, pk: int) -> HttpResponse:
    try:
        account = selectors.account_detail(user=request.user, pk=pk)
    except Account.DoesNotExist as error:
        raise Http404 from error
    context = {
        "account": account,
        "can_edit": request.user.has_perm("accounts.change_account", account),
        "subsidiaries": selectors.account_subsidiaries(account=account),
        "stakeholders": selectors.account_people_preview(account=account),
        "stakeholder_count": account.stakeholders.count(),
    }
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_create(request: AppRequest) -> HttpResponse:
    require(request, "accounts.add_account")
    form = AccountForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        account = run_service(
            form, lambda: services.account_create(acting_user=request.user, data=form.cleaned_data)
        )
        if account is not None:
            messages.success(request, _("Account “%(name)s” created.") % {"name": account.name})
            return redirect(account)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
def account_edit(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    require(request, "accounts.change_account", account)
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.account_update(
                account=account,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved.name})
            return redirect(saved)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_archive(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    require(request, "accounts.archive_account", account)
    archived = request.POST.get("archived") == "1"
    services.account_set_archived(account=account, acting_user=request.user, archived=archived)
    if archived:
        messages.success(request, _("“%(name)s” archived.") % {"name": account.name})
    else:
        messages.success(request, _("“%(name)s” is active again.") % {"name": account.name})
    return redirect(account)


@login_required
def account_team(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    can_edit = request.user.has_perm("accounts.change_team", account)
    form = TeamMemberForm(request.POST or None, instance=TeamMember(account=account))
    if request.method == "POST":
        require(request, "accounts.change_team", account)
        if form.is_valid():
            member = run_service(
                form,
                lambda: services.team_member_add(
                    account=account, acting_user=request.user, **form.cleaned_data
                ),
            )
            if member is not None:
                messages.success(
                    request, _("%(person)s joined the team.") % {"person": member.user}
                )
                return redirect("accounts:account_team", pk=account.pk)
    context = {
        "account": account,
        "members": selectors.team_member_list(account=account),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "accounts/account_team.html", context)


@login_required
@require_POST
def team_member_end(request: AppRequest, pk: int, member_pk: int) -> HttpResponse:
    member = get_object_or_404(
        TeamMember.objects.select_related("account", "user"), pk=member_pk, account_id=pk
    )
    require(request, "accounts.change_team", member.account)
    if member.end_date is None:
        services.team_member_end(member=member, acting_user=request.user)
        messages.success(request, _("%(person)s left the team.") % {"person": member.user})
    return redirect("accounts:account_team", pk=pk)


@login_required
def account_history(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account, pk=pk)
    account_records = list(account.history.select_related("history_user"))
    team_records = list(TeamMember.history.filter(account_id=pk).select_related("history_user"))
    entries = history_entries(account_records, Account, subject=account.name)
    entries += history_entries(team_records, TeamMember, subject_fields=("user", "role"))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    page = paginate(entries, page=request.GET.get("page"), per_page=50)
    context = {
        "account": account,
        "page": page,
        "can_edit": request.user.has_perm("accounts.change_account", account),
    }
    return render(request, "accounts/account_history.html", context)


@login_required
def account_suggest(request: AppRequest) -> HttpResponse:
    accounts = selectors.account_suggestions(
        prefix=request.GET.get("parent", request.GET.get("q", ""))
    )
    return render(request, "accounts/account_suggestions.html", {"accounts": accounts})
