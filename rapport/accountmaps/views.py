"""The account map page: the drawing, its side panel, and the edits made on the map.

Every request carries the map's state (filters, collapsed branches, date) in its query
string, POSTs included, so a write can answer with the map redrawn as the viewer sees it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from rapport.accountmaps.drawing import contact_age, legend, render_svg, strength_text
from rapport.accountmaps.forms import MapFilterForm, MapMoveForm, MapNewPersonForm, MapPersonForm
from rapport.accountmaps.layout import AccountMap, MapPerson, owner_tie
from rapport.accountmaps.risk import assess_account
from rapport.accounts.models import Account
from rapport.communications.selectors import strengths_for
from rapport.core.exceptions import NotAllowedError
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.stakeholders import services
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.selectors import relationship_owner_list

# Format names are product names, the same in every language.
EXPORT_FORMATS = (
    ("svg", "SVG"),
    ("png", "PNG"),
    ("pdf", "PDF"),
    ("drawio", "draw.io"),
    ("mermaid", "Mermaid"),
    ("csv", "CSV"),
    ("json", "JSON"),
)
PANEL = "accountmaps/includes/person_panel.html"


def _account(account_pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("parent"), pk=account_pk)


def _person(account: Account, pk: int) -> Stakeholder:
    """A person of this account (never of another, whatever the address says)."""
    people = Stakeholder.objects.select_related("account", "reports_to")
    return get_object_or_404(people, account=account, pk=pk)


def _draw(filters: MapFilterForm) -> tuple[AccountMap, str]:
    """The map the filters ask for, and its drawing with links that flip each branch."""
    account_map = filters.build_map()
    collapsed = filters.map_filters.collapsed

    def toggle_href(person: MapPerson) -> str:
        return "?" + filters.query(collapsed=collapsed ^ {person.id})

    return account_map, render_svg(account_map, standalone=False, toggle_href=toggle_href)


def _panel(
    request: AppRequest, filters: MapFilterForm, person: Stakeholder, **extra: Any
) -> dict[str, Any]:
    """What the side panel shows about a person; the edit form only to those who may edit."""
    can_change = filters.as_of_moment is None and request.user.has_perm(
        "stakeholders.change_stakeholder", person
    )
    strengths = strengths_for(stakeholder_ids=[person.pk])
    owners = []
    for link in relationship_owner_list(stakeholder=person):
        computed = strengths.get((link.user_id, person.pk))
        strength = computed.strength if computed is not None else None
        tie = owner_tie(link.user.initials, strength, link.strength)
        owners.append({"user": link.user, "strength": strength_text(tie)})
    context: dict[str, Any] = {
        "account": person.account,
        "person": person,
        "owners": owners,
        "last_contacted": contact_age(person.last_contact_at, now=timezone.now()),
        "map_query": filters.query(),
        "is_history": filters.as_of_moment is not None,
        "can_change": can_change,
        "form": MapPersonForm(instance=person) if can_change else None,
    }
    context.update(extra)
    return context


@login_required
@require_GET
def account_map(request: AppRequest, account_pk: int) -> HttpResponse:
    """The account's map: toolbar, drawing, side panel and legend."""
    account = _account(account_pk)
    filters = MapFilterForm(request.GET, account=account)
    account_map, svg = _draw(filters)
    is_history = account_map.as_of is not None
    # Checked against a person of this account, as the edit views check each real person.
    someone = Stakeholder(account=account)
    context = {
        "account": account,
        "filters": filters,
        "account_map": account_map,
        "svg": svg,
        "map_query": filters.query(),
        "expanded_query": filters.query(collapsed=frozenset()),
        "legend": legend(),
        "export_formats": EXPORT_FORMATS,
        "can_edit": request.user.has_perm("accounts.change_account", account),
        "can_change": not is_history
        and request.user.has_perm("stakeholders.change_stakeholder", someone),
        "can_add": not is_history
        and request.user.has_perm("stakeholders.add_stakeholder", account),
        # Risk is assessed on the live map only; a past date shows how the map looked.
        "assessment": None if is_history else assess_account(account),
    }
    return render(request, "accountmaps/account_map.html", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def map_person(request: AppRequest, account_pk: int, pk: int) -> HttpResponse:
    """The side panel about one person on the map, loaded with htmx."""
    account = _account(account_pk)
    person = _person(account, pk)
    if not request.htmx:
        return redirect(person)
    filters = MapFilterForm(request.GET, account=account)
    return render(request, PANEL, _panel(request, filters, person))


@login_required
@require_POST
def map_person_edit(request: AppRequest, account_pk: int, pk: int) -> HttpResponse:
    """Save the panel's form: the panel shows the saved values and the map is redrawn."""
    account = _account(account_pk)
    person = _person(account, pk)
    require(request, "stakeholders.change_stakeholder", person)
    filters = MapFilterForm(request.GET, account=account)
    form = MapPersonForm(request.POST, instance=person)
    saved = form.is_valid() and run_service(
        form,
        lambda: services.stakeholder_update(
            stakeholder=person,
            acting_user=request.user,
            data=form.cleaned_data,
            expected_version=form.expected_version,
        ),
    )
    if not saved:
        # Validating the form wrote the refused values onto the person: show what is stored.
        person.refresh_from_db()
        # Answered with 200 so htmx swaps the panel in, errors and all.
        return render(request, PANEL, _panel(request, filters, person, form=form))
    _map, svg = _draw(filters)
    context = _panel(request, filters, _person(account, pk), just_saved=True, svg=svg)
    return render(request, PANEL, context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def map_person_add(request: AppRequest, account_pk: int) -> HttpResponse:
    """Add a person from the map: a form in the side panel, then the new person's panel."""
    account = _account(account_pk)
    require(request, "stakeholders.add_stakeholder", account)
    if not request.htmx and request.method == "GET":
        return redirect("stakeholders:stakeholder_create", account_pk=account.pk)
    filters = MapFilterForm(request.GET, account=account)
    initial = {"reports_to": request.GET.get("reports_to")}
    form = MapNewPersonForm(request.POST or None, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        created = run_service(
            form,
            lambda: services.stakeholder_create(
                account=account, acting_user=request.user, data=form.cleaned_data
            ),
        )
        if created is not None:
            _map, svg = _draw(filters)
            context = _panel(request, filters, _person(account, created.pk), just_added=True)
            return render(request, PANEL, {**context, "svg": svg})
    context = {"account": account, "form": form, "map_query": filters.query()}
    return render(request, "accountmaps/includes/new_person_panel.html", context)


@login_required
@require_POST
def map_person_move(request: AppRequest, account_pk: int, pk: int) -> JsonResponse:
    """A person dropped onto a new manager: the map redrawn, or why the move was refused."""
    account = _account(account_pk)
    person = _person(account, pk)
    form = MapMoveForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"message": _("This person is no longer on the map.")}, status=400)
    manager: Stakeholder | None = form.cleaned_data["manager"]
    try:
        services.stakeholder_set_manager(
            stakeholder=person, manager=manager, acting_user=request.user
        )
    except NotAllowedError:
        return JsonResponse({"message": _("You may not change this map.")}, status=403)
    except ValidationError as error:
        return JsonResponse({"message": " ".join(error.messages)}, status=400)
    message = (
        _("%(person)s now reports to %(manager)s.") % {"person": person, "manager": manager}
        if manager is not None
        else _("%(person)s now reports to nobody.") % {"person": person}
    )
    _map, svg = _draw(MapFilterForm(request.GET, account=account))
    return JsonResponse({"message": message, "svg": svg})
