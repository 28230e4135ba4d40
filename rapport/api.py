"""The REST API: one NinjaAPI with each app's router, token or session authentication."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.security import django_auth

from rapport.accountmaps.api import router as accountmaps_router
from rapport.accounts.api import router as accounts_router
from rapport.communications.api import router as communications_router
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.interchange.api import router as interchange_router
from rapport.revenue.api import router as revenue_router
from rapport.roadmaps.api import router as roadmaps_router
from rapport.stakeholders.api import router as stakeholders_router
from rapport.users.auth import BearerToken

api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "Accounts, account teams, stakeholders and account maps; touchpoints, follow-up tasks, "
        "account timelines and communication cadences; playbooks, roadmaps and their items, "
        "handoffs, commitments, reassignments and continuity risk; products, exchange rates, "
        "the opportunity pipeline, contracts with their lines and amendments, renewals, "
        "upsells and cross-sells, and the retention metrics (ARR, MRR, gross and net revenue "
        "retention, logo retention, the renewal forecast); imports of Salesforce Data Exports, "
        "followed while they run, and the book exported in the same format. Money is a string "
        "with two decimals, its currency beside it. "
        "Authenticate with `Authorization: Bearer <token>`. Lists are paginated (`page`, "
        "`page_size`); invalid data answers 422 field by field, a `PATCH` with a stale "
        "`version` answers 409."
    ),
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)
api.add_router("", accounts_router)
api.add_router("", stakeholders_router)
api.add_router("", accountmaps_router)
api.add_router("", communications_router)
api.add_router("", roadmaps_router)
api.add_router("", revenue_router)
api.add_router("", interchange_router)


# Model fields that the API takes as ids: their errors point at the name the client sent.
REFERENCE_FIELDS = {
    "parent",
    "owner",
    "originating_executive",
    "reports_to",
    "user",
    "account",
    "source",
    "target",
    "assignee",
    "touchpoint",
    "playbook",
    "phase",
    "depends_on",
    "owner_user",
    "owner_stakeholder",
    "handoff",
    "executive",
    "account_manager",
    "from_user",
    "to_user",
    "family",
    "product",
    "contract",
    "stage",
    "previous",
}
# Many-to-many fields the API takes as a list of ids.
REFERENCE_LISTS = {"stakeholders": "stakeholder_ids", "users": "user_ids"}


def _client_field(field: str) -> str:
    """The name the client sent for a model field."""
    if field in REFERENCE_LISTS:
        return REFERENCE_LISTS[field]
    return f"{field}_id" if field in REFERENCE_FIELDS else field


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """Errors found by the services look like the schema's own 422 errors, field by field."""
    detail = []
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            location = ["body", "payload"]
            if field != NON_FIELD_ERRORS:
                location.append(_client_field(field))
            detail.append({"loc": location, "msg": " ".join(messages), "type": "validation_error"})
    else:
        # A list of problems (e.g. everything that makes a playbook impossible) stays a list.
        detail.extend(
            {"loc": ["body", "payload"], "msg": message, "type": "validation_error"}
            for message in error.messages
        )
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(StaleVersionError)
def stale_version(request: HttpRequest, error: StaleVersionError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": str(error.message), "current_version": error.current_version},
        status=409,
    )


@api.exception_handler(NotAllowedError)
def not_allowed(request: HttpRequest, error: NotAllowedError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("You may not change this record.")}, status=403
    )


@api.exception_handler(ObjectDoesNotExist)
def does_not_exist(request: HttpRequest, error: ObjectDoesNotExist) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)
