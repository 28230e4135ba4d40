"""The log's pages: touchpoints, the quick-log form, follow-up tasks and an account's timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.forms import active_users
from rapport.accounts.models import Account
from rapport.communications import exports, selectors, services, timeline
from rapport.communications.choices import Sentiment, TaskStatus, TouchpointKind
from rapport.communications.filters import DueWindow, TaskFilter, TouchpointFilter
from rapport.communications.forms import (
    AccountPickForm,
    QuickLogForm,
    TaskForm,
    TimelineFilterForm,
    TouchpointForm,
    assignable_users,
)
from rapport.communications.models import (
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.core.exports import export_format
from rapport.core.history import HistoryEntry, history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import (
    parse_filters,
    querystring_without_page,
    record_from,
    require,
    run_service,
    safe_next,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

QUICK_LOG_TEMPLATE = "communications/includes/quick_log.html"
TASK_ROW_TEMPLATE = "communications/includes/task_row.html"
# The events other parts of a page listen to, to re-fetch what a change made stale.
TOUCHPOINT_LOGGED = "touchpoint-logged"
TASK_STATUS_CHANGED = "task-status-changed"
# The whole log runs to millions: the list counts this far and asks for filters beyond it.
TOUCHPOINT_COUNT_CAP = 10_000


# Helpers -------------------------------------------------------------------------------------


def _account_choices(user: User, selected: int | None) -> list[Account]:
    """The reader's accounts for a filter, plus the one the filter names if it is not theirs."""
    accounts = list(selectors.my_accounts(user=user).order_by("search_name", "id"))
    if selected is not None and all(account.pk != selected for account in accounts):
        accounts += list(Account.objects.filter(pk=selected))
    return accounts


# Touchpoints ---------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def touchpoint_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(TouchpointFilter, request.GET)
    if request.htmx and request.GET.get("recent") and filters.stakeholder is not None:
        return _recent_with_person(request, filters.stakeholder)
    if kind := export_format(request):
        touchpoints = filters.apply(selectors.touchpoint_list(user=request.user))
        return exports.touchpoint_export(kind, touchpoints)
    page = paginate(
        filters.apply(selectors.touchpoint_list(user=request.user)),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
        count_cap=TOUCHPOINT_COUNT_CAP,
    )
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "can_add": request.user.has_perm("communications.add_touchpoint"),
    }
    template = "communications/touchpoint_list.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    return render(request, template, context | _touchpoint_filter_choices(request, filters))


def _touchpoint_filter_choices(request: AppRequest, filters: TouchpointFilter) -> dict[str, Any]:
    """What the filter form offers; the results alone (htmx) do not need it."""
    people = Stakeholder.objects.filter(account_id=filters.account) if filters.account else []
    return {
        "accounts": _account_choices(request.user, filters.account),
        "people": people,
        "users": active_users(),
        "kinds": TouchpointKind.choices,
        "sentiments": Sentiment.choices,
    }


def _recent_with_person(request: AppRequest, stakeholder_id: int) -> HttpResponse:
    """A person's page shows their latest touchpoints, fetched once it has loaded."""
    touchpoints = selectors.touchpoints_with_stakeholder(stakeholder_id=stakeholder_id)
    context = {"touchpoints": touchpoints}
    return render(request, "communications/includes/recent_touchpoints.html", context)


@login_required
def touchpoint_create(request: AppRequest) -> HttpResponse:
    require(request, "communications.add_touchpoint")
    account = record_from(Account, request.GET.get("account"))
    if account is None:
        return _pick_account(request)
    form = TouchpointForm(request.POST or None, account=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        touchpoint = run_service(
            form,
            lambda: services.touchpoint_create_with_follow_up(
                acting_user=request.user,
                account=account,
                data=form.touchpoint_data(),
                stakeholders=form.cleaned_data["stakeholders"],
                users=form.cleaned_data["users"],
                follow_up=form.follow_up(),
            ),
        )
        if touchpoint is not None:
            messages.success(request, _("“%(subject)s” logged.") % {"subject": touchpoint})
            return redirect(touchpoint)
    context = {"form": form, "account": account, "touchpoint": None}
    return render(request, "communications/touchpoint_form.html", context)


def _pick_account(request: AppRequest) -> HttpResponse:
    """Logging from the touchpoint list: first the account, whose people the form then offers."""
    form = AccountPickForm(request.GET if "q" in request.GET else None)
    if form.is_valid():
        account = form.cleaned_data["q"]
        return redirect(f"{reverse('communications:touchpoint_create')}?account={account.pk}")
    return render(request, "communications/touchpoint_form.html", {"pick_form": form})


@login_required
def touchpoint_detail(request: AppRequest, pk: int) -> HttpResponse:
    try:
        touchpoint = selectors.touchpoint_detail(pk=pk)
    except Touchpoint.DoesNotExist as error:
        raise Http404 from error
    tasks = list(touchpoint.tasks.all())
    selectors.mark_changeable_tasks(user=request.user, tasks=tasks)
    context = {
        "touchpoint": touchpoint,
        "tasks": tasks,
        "can_change": request.user.has_perm("communications.change_touchpoint", touchpoint),
        "can_add_task": request.user.has_perm("communications.add_task"),
        "history": _touchpoint_history(touchpoint),
    }
    return render(request, "communications/touchpoint_detail.html", context)


def _touchpoint_history(touchpoint: Touchpoint) -> list[HistoryEntry]:
    """The touchpoint's changes and who joined or left it, newest first."""
    records = list(touchpoint.history.select_related("history_user"))
    entries = history_entries(records, Touchpoint, subject=touchpoint.subject)
    people = list(
        TouchpointStakeholder.history.filter(
            touchpoint_id=touchpoint.pk, history_type__in=("+", "-")
        ).select_related("history_user")
    )
    ours = list(
        TouchpointUser.history.filter(
            touchpoint_id=touchpoint.pk, history_type__in=("+", "-")
        ).select_related("history_user")
    )
    names = {
        ("s", person.pk): person.full_name
        for person in Stakeholder.all_objects.filter(pk__in={r.stakeholder_id for r in people})
    }
    names.update(
        {
            ("u", member.pk): str(member)
            for member in User.objects.filter(pk__in={r.user_id for r in ours})
        }
    )
    joined, left = _("added the participant"), _("removed the participant")
    for side, rows in (("s", people), ("u", ours)):
        for record in rows:
            who_id = record.stakeholder_id if side == "s" else record.user_id
            entries.append(
                HistoryEntry(
                    when=record.history_date,
                    who=record.history_user,
                    action=joined if record.history_type == "+" else left,
                    subject=names.get((side, who_id), f"#{who_id}"),
                )
            )
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


@login_required
def touchpoint_edit(request: AppRequest, pk: int) -> HttpResponse:
    touchpoint = get_object_or_404(Touchpoint.objects.select_related("account"), pk=pk)
    require(request, "communications.change_touchpoint", touchpoint)
    form = TouchpointForm(
        request.POST or None, instance=touchpoint, account=touchpoint.account, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.touchpoint_update(
                touchpoint=touchpoint,
                acting_user=request.user,
                data=form.touchpoint_data(),
                stakeholders=form.cleaned_data["stakeholders"],
                users=form.cleaned_data["users"],
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(subject)s” saved.") % {"subject": saved})
            return redirect(saved)
    context = {"form": form, "account": touchpoint.account, "touchpoint": touchpoint}
    return render(request, "communications/touchpoint_form.html", context)


@login_required
def touchpoint_delete(request: AppRequest, pk: int) -> HttpResponse:
    touchpoint = get_object_or_404(Touchpoint.objects.select_related("account"), pk=pk)
    require(request, "communications.change_touchpoint", touchpoint)
    if request.method == "POST":
        services.touchpoint_delete(touchpoint=touchpoint, acting_user=request.user)
        messages.success(request, _("“%(subject)s” deleted.") % {"subject": touchpoint})
        return redirect("communications:account_timeline", pk=touchpoint.account_id)
    return render(request, "communications/touchpoint_delete.html", {"touchpoint": touchpoint})


# Quick log -----------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def quick_log(request: AppRequest) -> HttpResponse:
    if request.method != "POST":
        return _quick_log_people(request)
    require(request, "communications.add_touchpoint")
    fixed = record_from(Account, request.POST.get("fixed_account"))
    form = QuickLogForm(request.POST, user=request.user, account=fixed)
    touchpoint = None
    if form.is_valid():
        touchpoint = run_service(
            form,
            lambda: services.touchpoint_create(
                acting_user=request.user,
                account=form.account_to_log(),
                data=form.touchpoint_data(),
                stakeholders=form.cleaned_data["stakeholders"],
            ),
        )
    back = safe_next(request, default="")
    if touchpoint is None:
        context = {"quick_log_form": form, "quick_log_next": back}
        template = (
            QUICK_LOG_TEMPLATE if request.htmx else "communications/touchpoint_quick_log.html"
        )
        return render(request, template, context)
    return _quick_log_done(request, touchpoint, fixed, back)


def _quick_log_done(
    request: AppRequest, touchpoint: Touchpoint, fixed: Account | None, back: str
) -> HttpResponse:
    """A fresh form saying what was logged, and word to the page that the log changed."""
    if not request.htmx:
        messages.success(
            request,
            _("“%(subject)s” logged on %(account)s.")
            % {"subject": touchpoint, "account": touchpoint.account},
        )
        return redirect(back or touchpoint.get_absolute_url())
    context = {
        "quick_log_form": QuickLogForm(user=request.user, account=fixed),
        "quick_log_done": touchpoint,
        "quick_log_next": back,
    }
    response = render(request, QUICK_LOG_TEMPLATE, context)
    response["HX-Trigger"] = TOUCHPOINT_LOGGED
    return response


def _quick_log_people(request: AppRequest) -> HttpResponse:
    """The checkboxes of an account's people, fetched once the quick-log form knows it."""
    account = record_from(Account, request.GET.get("account"))
    if not request.htmx:
        query = f"?account={account.pk}" if account is not None else ""
        return redirect(reverse("communications:touchpoint_create") + query)
    form = QuickLogForm(user=request.user, account=account) if account is not None else None
    context = {"people_form": form, "people_now": form is not None}
    return render(request, f"{QUICK_LOG_TEMPLATE}#people", context)


# Timeline ------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def account_timeline(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("parent"), pk=pk)
    if request.htmx and request.GET.get("summary"):
        # The 360° page's communications card, re-fetched when something is logged.
        return render(request, "communications/includes/account_summary.html", {"account": account})
    form = TimelineFilterForm(request.GET or None, account=account)
    before = timeline.Cursor.decode(request.GET.get("before"))
    page = timeline.account_timeline(
        account=account, filters=form.timeline_filters(), before=before
    )
    selectors.mark_changeable_tasks(
        user=request.user, tasks=[event.obj for event in page.events if event.kind == "task"]
    )
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "account": account,
        "page": page,
        "form": form,
        "before": before,
        "filters_query": query.urlencode(),
        "invalid": sorted(form.errors) if form.is_bound else [],
        "can_edit": request.user.has_perm("accounts.change_account", account),
    }
    template = "communications/account_timeline.html"
    if request.htmx:
        template += "#events" if before is not None else "#timeline"
    return render(request, template, context)


# Tasks ---------------------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")
def task_list(request: AppRequest) -> HttpResponseBase:
    filters, invalid = parse_filters(TaskFilter, request.GET)
    today = timezone.localdate()
    tasks = selectors.task_list(user=request.user, status=None)
    if kind := export_format(request):
        return exports.task_export(kind, filters.apply(tasks, user=request.user, today=today))
    page = paginate(
        filters.apply(tasks, user=request.user, today=today),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    page.object_list = list(page.object_list)
    selectors.mark_changeable_tasks(user=request.user, tasks=page.object_list)
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "filters_query": querystring_without_page(request.GET),
        "can_add": request.user.has_perm("communications.add_task"),
    }
    template = "communications/task_list.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    choices = {
        "accounts": _account_choices(request.user, filters.account),
        "users": assignable_users(),
        "statuses": TaskStatus.choices,
        "due_windows": DueWindow.choices,
    }
    return render(request, template, context | choices)


@login_required
def task_create(request: AppRequest) -> HttpResponse:
    require(request, "communications.add_task")
    touchpoint = record_from(Touchpoint, request.GET.get("touchpoint"))
    account = record_from(Account, request.GET.get("account"))
    form = TaskForm(request.POST or None, user=request.user, account=account, touchpoint=touchpoint)
    if request.method == "POST" and form.is_valid():
        task = run_service(
            form, lambda: services.task_create(acting_user=request.user, data=form.task_data())
        )
        if task is not None:
            messages.success(request, _("Task “%(title)s” created.") % {"title": task})
            return redirect(safe_next(request, default=task.get_absolute_url()))
    context = {"form": form, "task": None, "touchpoint": touchpoint, "account": account}
    return render(request, "communications/task_form.html", context)


@login_required
def task_detail(request: AppRequest, pk: int) -> HttpResponse:
    try:
        task = selectors.task_detail(pk=pk)
    except Task.DoesNotExist as error:
        raise Http404 from error
    records = list(task.history.select_related("history_user"))
    context = {
        "task": task,
        "can_change": request.user.has_perm("communications.change_task", task),
        "history": history_entries(records, Task, subject=task.title),
    }
    return render(request, "communications/task_detail.html", context)


@login_required
def task_edit(request: AppRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("account", "touchpoint"), pk=pk)
    require(request, "communications.change_task", task)
    form = TaskForm(request.POST or None, instance=task, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.task_update(
                task=task,
                acting_user=request.user,
                data=form.task_data(),
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(title)s” saved.") % {"title": saved})
            return redirect(saved)
    return render(request, "communications/task_form.html", {"form": form, "task": task})


@login_required
@require_POST
@vary_on_headers("HX-Request")
def task_status(request: AppRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("account"), pk=pk)
    require(request, "communications.change_task", task)
    status = request.POST.get("status", "")
    if status not in TaskStatus.values:
        return HttpResponseBadRequest(_("Unknown status."))
    services.task_set_status(task=task, acting_user=request.user, status=status)
    task = selectors.task_detail(pk=task.pk)
    if not request.htmx:
        messages.success(
            request,
            _("“%(title)s”: %(status)s.") % {"title": task, "status": task.get_status_display()},
        )
        return redirect(safe_next(request, default=task.get_absolute_url()))
    # The row hides the account when shown on that account's own page; so does its new self.
    in_account = task.account if request.POST.get("in_account") == str(task.account_id) else None
    context = {"task": task, "task_next": safe_next(request, ""), "account": in_account}
    response = render(request, TASK_ROW_TEMPLATE, context)
    response["HX-Trigger"] = TASK_STATUS_CHANGED
    return response
