"""The roadmap pages: an account's roadmaps, one roadmap with its Gantt and items, its PDF and
its client links."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accounts.models import Account
from rapport.core.exceptions import NotAllowedError
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.roadmaps import clientlinks, drawing, selectors, services
from rapport.roadmaps.choices import ItemStatus, RoadmapStatus
from rapport.roadmaps.forms.roadmaps import (
    ClientLinkForm,
    RoadmapForm,
    RoadmapItemForm,
    RoadmapStartForm,
)
from rapport.roadmaps.models import ClientLink, Roadmap, RoadmapItem

ROW_TEMPLATE = "roadmaps/includes/roadmap_item_row.html"
DETAIL_TEMPLATE = "roadmaps/roadmap_detail.html"
# Other parts of the roadmap page listen for it to redraw the progress and the Gantt.
ROADMAP_CHANGED = "roadmap-changed"


def _account(pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("parent"), pk=pk)


def _roadmap(pk: int) -> Roadmap:
    try:
        return selectors.roadmap_detail(pk=pk)
    except Roadmap.DoesNotExist as error:
        raise Http404 from error


def _item(pk: int) -> RoadmapItem:
    related = ("roadmap", "roadmap__account", "phase", "owner_user", "owner_stakeholder", "task")
    return get_object_or_404(RoadmapItem.objects.select_related(*related), pk=pk)


# An account's roadmaps -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_roadmaps(request: AppRequest, account_pk: int) -> HttpResponse:
    """The account's roadmaps, active first, and the form that starts one from a playbook."""
    account = _account(account_pk)
    today = timezone.localdate()
    form = RoadmapStartForm(request.POST or None, today=today)
    if request.method == "POST":
        require(request, "roadmaps.start_roadmap", account)
        started = form.is_valid() and run_service(
            form,
            lambda: services.roadmap_start(
                acting_user=request.user, account=account, **form.start_data()
            ),
        )
        if started:
            messages.success(request, _("Roadmap “%(name)s” started.") % {"name": started})
            return redirect(started)
    return render(request, "roadmaps/roadmap_list.html", _list_context(request, account, form))


def _list_context(request: AppRequest, account: Account, form: RoadmapStartForm) -> dict[str, Any]:
    today = timezone.localdate()
    page = paginate(
        selectors.account_roadmaps(account=account, today=today),
        page=request.GET.get("page"),
        per_page=settings.RAPPORT_PAGE_SIZE,
    )
    page.object_list = selectors.attach_progress(page.object_list, today=today)
    can_edit = request.user.has_perm("accounts.change_account", account)
    return {
        "account": account,
        "page": page,
        "form": form,
        "today": today,
        "can_edit": can_edit,
        # Starting a roadmap takes exactly the right to edit the account.
        "can_start": can_edit,
    }


# One roadmap ---------------------------------------------------------------------------------


def _detail_context(request: AppRequest, roadmap: Roadmap, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    items = selectors.roadmap_items(roadmap)
    gantt = drawing.build_gantt(roadmap, today=today)
    can_share = request.user.has_perm("roadmaps.share_roadmap", roadmap)
    is_live = roadmap.status != RoadmapStatus.CANCELLED
    context: dict[str, Any] = {
        "account": roadmap.account,
        "roadmap": roadmap,
        "today": today,
        "progress": selectors.progress_from_items(roadmap, items, today=today),
        # The drawing escapes every text it places.
        "svg": mark_safe(drawing.render_svg(gantt, standalone=False)),  # noqa: S308
        "can_edit": request.user.has_perm("accounts.change_account", roadmap.account),
        "can_change": is_live and request.user.has_perm("roadmaps.change_roadmap", roadmap),
        "can_share": can_share and is_live,
        "links": selectors.client_links(roadmap=roadmap) if can_share else [],
        "link_form": ClientLinkForm(today=today) if can_share and is_live else None,
    }
    context.update(extra)
    return context


@login_required
@require_GET
@vary_on_headers("HX-Request")
def roadmap_detail(request: AppRequest, pk: int) -> HttpResponse:
    """A roadmap: its progress, its Gantt, its phases and items, and its client links."""
    roadmap = _roadmap(pk)
    context = _detail_context(request, roadmap)
    if request.htmx and request.GET.get("part") == "summary":
        return render(request, f"{DETAIL_TEMPLATE}#summary", context)
    return render(request, DETAIL_TEMPLATE, context)


@login_required
@require_GET
def roadmap_pdf(request: AppRequest, pk: int) -> HttpResponse:
    """The roadmap as a PDF, with every item and our internal notes."""
    roadmap = _roadmap(pk)
    content = roadmap_pdf_content(roadmap, for_client=False)
    return pdf_response(content, roadmap)


def roadmap_pdf_content(roadmap: Roadmap, *, for_client: bool) -> bytes:
    today = timezone.localdate()
    items = selectors.roadmap_items(roadmap)
    if for_client:
        items = [item for item in items if item.client_facing]
    progress = selectors.progress_from_items(roadmap, items, today=today)
    return drawing.roadmap_pdf(
        roadmap, items=items, today=today, for_client=for_client, progress=progress
    )


def pdf_response(content: bytes, roadmap: Roadmap) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{slugify(f'{roadmap.account.name} {roadmap.name}') or 'roadmap'}.pdf"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_edit(request: AppRequest, pk: int) -> HttpResponse:
    """Rename the roadmap or write the message its client link opens with."""
    roadmap = get_object_or_404(Roadmap.objects.select_related("account"), pk=pk)
    require(request, "roadmaps.change_roadmap", roadmap)
    form = RoadmapForm(request.POST or None, instance=roadmap)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.roadmap_update(
                roadmap=roadmap,
                acting_user=request.user,
                data=form.cleaned_data,
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(name)s” saved.") % {"name": saved})
            return redirect(saved)
    context = {"form": form, "roadmap": roadmap, "account": roadmap.account}
    return render(request, "roadmaps/roadmap_form.html", context)


@login_required
@require_POST
def roadmap_cancel(request: AppRequest, pk: int) -> HttpResponse:
    """Stop a roadmap: its open tasks are cancelled and its client links closed."""
    roadmap = get_object_or_404(Roadmap.objects.select_related("account"), pk=pk)
    require(request, "roadmaps.change_roadmap", roadmap)
    try:
        services.roadmap_cancel(roadmap=roadmap, acting_user=request.user)
    except NotAllowedError as error:
        raise PermissionDenied from error
    messages.success(request, _("Roadmap “%(name)s” cancelled.") % {"name": roadmap})
    return redirect(roadmap)


# Items ---------------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def roadmap_item_status(request: AppRequest, pk: int) -> HttpResponse:
    """Complete, skip or reopen an item in one click; htmx swaps its row in place."""
    item = _item(pk)
    require(request, "roadmaps.change_roadmap", item.roadmap)
    status = request.POST.get("status", "")
    if status not in ItemStatus.values or item.roadmap.status == RoadmapStatus.CANCELLED:
        return HttpResponseBadRequest(_("This item cannot take that status."))
    services.roadmap_item_set_status(item=item, acting_user=request.user, status=status)
    item = _item(pk)
    if not request.htmx:
        messages.success(
            request,
            _("“%(title)s”: %(status)s.") % {"title": item, "status": item.get_status_display()},
        )
        return redirect(item)
    context = {"item": item, "today": timezone.localdate(), "can_change": True}
    response = render(request, ROW_TEMPLATE, context)
    response["HX-Trigger"] = ROADMAP_CHANGED
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_add(request: AppRequest, pk: int) -> HttpResponse:
    roadmap = get_object_or_404(Roadmap.objects.select_related("account"), pk=pk)
    require(request, "roadmaps.change_roadmap", roadmap)
    today = timezone.localdate()
    initial = {"start_on": today, "due_on": today, "phase": request.GET.get("phase")}
    form = RoadmapItemForm(request.POST or None, roadmap=roadmap, initial=initial)
    if request.method == "POST" and form.is_valid():
        item = run_service(
            form,
            lambda: services.roadmap_item_add(
                acting_user=request.user, roadmap=roadmap, data=form.item_data()
            ),
        )
        if item is not None:
            messages.success(request, _("“%(title)s” added.") % {"title": item})
            return redirect(item)
    context = {"form": form, "roadmap": roadmap, "account": roadmap.account, "item": None}
    return render(request, "roadmaps/roadmap_item_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_edit(request: AppRequest, pk: int) -> HttpResponse:
    """Move an item's dates, re-own it, change its kind, who sees it, its notes."""
    item = _item(pk)
    require(request, "roadmaps.change_roadmap", item.roadmap)
    form = RoadmapItemForm(request.POST or None, instance=item, roadmap=item.roadmap)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.roadmap_item_update(
                item=item,
                acting_user=request.user,
                data=form.item_data(),
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to “%(title)s” saved.") % {"title": saved})
            return redirect(saved)
    context = {"form": form, "roadmap": item.roadmap, "account": item.roadmap.account}
    return render(request, "roadmaps/roadmap_item_form.html", context | {"item": item})


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_delete(request: AppRequest, pk: int) -> HttpResponse:
    item = _item(pk)
    require(request, "roadmaps.change_roadmap", item.roadmap)
    if request.method == "POST":
        try:
            services.roadmap_item_delete(item=item, acting_user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(item)
        messages.success(request, _("“%(title)s” removed.") % {"title": item})
        return redirect(item.roadmap)
    context = {"item": item, "roadmap": item.roadmap, "account": item.roadmap.account}
    return render(request, "roadmaps/roadmap_item_delete.html", context)


# Client links --------------------------------------------------------------------------------


@login_required
@require_POST
def client_link_create(request: AppRequest, pk: int) -> HttpResponse:
    """Make a link for the client; its address is shown this once, on this answer only."""
    roadmap = _roadmap(pk)
    require(request, "roadmaps.share_roadmap", roadmap)
    form = ClientLinkForm(request.POST, today=timezone.localdate())
    created = form.is_valid() and run_service(
        form,
        lambda: clientlinks.client_link_create(
            roadmap=roadmap, acting_user=request.user, expires_on=form.cleaned_data["expires_on"]
        ),
    )
    extra: dict[str, Any] = {"link_form": form}
    if created:
        extra = {"new_link_url": clientlinks.client_link_url(created[1]), "new_link": created[0]}
    response = render(request, DETAIL_TEMPLATE, _detail_context(request, _roadmap(pk), **extra))
    # The page may carry the secret address: never keep it in a cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def client_link_revoke(request: AppRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(ClientLink.objects.select_related("roadmap__account"), pk=pk)
    require(request, "roadmaps.share_roadmap", link.roadmap)
    clientlinks.client_link_revoke(link=link, acting_user=request.user)
    messages.success(request, _("The link was revoked: it no longer opens the roadmap."))
    return redirect(link.roadmap.get_absolute_url() + "#client-links")
