"""Calendar files and e-mail in and out: the imports, the unmatched e-mails, the private feed.

The upload views are CSRF-exempt only so that the size limit is in place before the body is
read (``uploads.upload_refused``); they check the CSRF token right after, through
``csrf_protect`` on the function that handles the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_safe

from rapport.accounts.forms import AccountNameField
from rapport.communications import exports, ical, ingestion, services
from rapport.communications.choices import InboundStatus
from rapport.communications.models import CalendarFeed, InboundMessage
from rapport.communications.uploads import (
    CalendarUploadForm,
    MailUploadForm,
    upload_limit_display,
    upload_refused,
)
from rapport.core.api import InputSchema
from rapport.core.exceptions import NotAllowedError
from rapport.core.exports import export_format
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import parse_filters, querystring_without_page, require

Importer = Callable[..., list[ingestion.FileReport]]


class InboundFilter(InputSchema):
    status: Literal["pending", "assigned", "dismissed"] | None = None


class InboundAssignForm(forms.Form):
    account = AccountNameField(
        label=gettext_lazy("Account"),
        help_text=gettext_lazy("Type the start of a name and pick from the suggestions."),
    )

    def __init__(self, *args: Any, suggest_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].widget.attrs.update(
            {
                "list": "inbound-account-suggestions",
                "autocomplete": "off",
                "hx-get": suggest_url,
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#inbound-account-suggestions",
            }
        )


# Imports -------------------------------------------------------------------------------------


@csrf_exempt
@login_required
def mail_import(request: AppRequest) -> HttpResponse:
    require(request, "communications.import_messages")
    template = "communications/mail_import.html"
    if request.method == "POST" and upload_refused(request):
        return _too_large(request, template, MailUploadForm)
    return _import_page(request, template, MailUploadForm, ingestion.mail_import)


@csrf_exempt
@login_required
def ics_import(request: AppRequest) -> HttpResponse:
    require(request, "communications.import_messages")
    template = "communications/ics_import.html"
    if request.method == "POST" and upload_refused(request):
        return _too_large(request, template, CalendarUploadForm)
    return _import_page(request, template, CalendarUploadForm, ical.ics_import)


@csrf_protect
def _import_page(
    request: AppRequest, template: str, form_class: type[forms.Form], importer: Importer
) -> HttpResponse:
    form = form_class(request.POST, request.FILES) if request.method == "POST" else form_class()
    reports = None
    if form.is_bound and form.is_valid():
        try:
            reports = importer(acting_user=request.user, files=form.cleaned_data["upload"])
        except NotAllowedError as error:
            raise PermissionDenied from error
        form = form_class()
    context = {"form": form, "reports": reports, "upload_limit": upload_limit_display()}
    return render(request, template, context)


def _too_large(request: AppRequest, template: str, form_class: type[forms.Form]) -> HttpResponse:
    context = {"form": form_class(), "too_large": True, "upload_limit": upload_limit_display()}
    return render(request, template, context, status=413)


# Unmatched e-mails ---------------------------------------------------------------------------


@login_required
def inbound_list(request: AppRequest) -> HttpResponseBase:
    require(request, "communications.import_messages")
    filters, invalid = parse_filters(InboundFilter, request.GET)
    queryset = ingestion.inbound_list(user=request.user, status=filters.status or "")
    if kind := export_format(request):
        return exports.inbound_export(kind, queryset)
    page = paginate(queryset, page=request.GET.get("page"), per_page=settings.RAPPORT_PAGE_SIZE)
    context = {
        "page": page,
        "filters": filters,
        "invalid": invalid,
        "statuses": InboundStatus.choices,
        "filters_query": querystring_without_page(request.GET),
    }
    return render(request, "communications/inbound_list.html", context)


@login_required
def inbound_detail(request: AppRequest, pk: int) -> HttpResponse:
    require(request, "communications.import_messages")
    inbound = ingestion.inbound_list(user=request.user).filter(pk=pk).first()
    if inbound is None:
        raise Http404
    form = InboundAssignForm(
        request.POST if request.POST.get("action") == "assign" else None,
        suggest_url=reverse("stakeholders:account_suggest"),
    )
    if request.method == "POST":
        done = _inbound_action(request, inbound, form)
        if done is not None:
            return done
    return render(request, "communications/inbound_detail.html", _detail_context(inbound, form))


def _inbound_action(
    request: AppRequest, inbound: InboundMessage, form: InboundAssignForm
) -> HttpResponse | None:
    """Assign or dismiss; None to show the page again with the form's errors."""
    try:
        if request.POST.get("action") == "dismiss":
            ingestion.inbound_dismiss(inbound=inbound, acting_user=request.user)
            messages.success(request, _("The e-mail was dismissed."))
            return redirect("communications:inbound_list")
        if form.is_valid():
            touchpoint = ingestion.inbound_assign(
                inbound=inbound, account=form.cleaned_data["account"], acting_user=request.user
            )
            messages.success(
                request,
                _("The e-mail was logged on %(account)s.") % {"account": touchpoint.account},
            )
            return redirect(touchpoint)
    except ValidationError as error:
        # Someone else assigned or dismissed it meanwhile: show its state now.
        messages.error(request, " ".join(error.messages))
        return redirect("communications:inbound_detail", pk=inbound.pk)
    except NotAllowedError as error:
        raise PermissionDenied from error
    return None


def _detail_context(inbound: InboundMessage, form: InboundAssignForm) -> dict[str, Any]:
    records = list(inbound.history.select_related("history_user"))
    entries = history_entries(records, InboundMessage, subject=str(inbound))
    return {
        "inbound": inbound,
        "form": form,
        "suggestions": (
            ingestion.inbound_suggestions(inbound=inbound)
            if inbound.status == InboundStatus.PENDING
            else []
        ),
        "page": paginate(entries, page=1, per_page=50),
    }


# The private feed ----------------------------------------------------------------------------


@login_required
def calendar_feed_settings(request: AppRequest) -> HttpResponse:
    feed_address = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Your calendar feed was revoked; its address is dead."))
            return redirect("communications:calendar_feed_settings")
        _feed, raw = services.calendar_feed_create(user=request.user)
        feed_address = ical.feed_url(raw)
    active = CalendarFeed.objects.filter(user=request.user, revoked_at__isnull=True).first()
    context = {
        "feed": active,
        "feed_address": feed_address,
        "webcal_address": feed_address.replace("https://", "webcal://", 1).replace(
            "http://", "webcal://", 1
        ),
    }
    response = render(request, "communications/calendar_feed_settings.html", context)
    # The page may carry the secret address: never keep it in a cache.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@never_cache
def calendar_feed(request: AppRequest, token: str) -> HttpResponse:
    """The feed a calendar app subscribes to; the secret in the address is the only key."""
    feed = ical.feed_open(token)
    if feed is None:
        # One plain answer for unknown and revoked alike: nothing tells a guesser which it was.
        return HttpResponseNotFound(_("No such calendar feed."), content_type="text/plain")
    response = HttpResponse(ical.build_feed(user=feed.user), content_type="text/calendar")
    response["Content-Type"] = "text/calendar; charset=utf-8"
    response["Content-Disposition"] = 'inline; filename="rapport.ics"'
    # Personal data behind a secret address: no shared cache may keep it, no robot index it.
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
