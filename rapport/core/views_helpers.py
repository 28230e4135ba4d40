"""Small helpers that keep views short."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from rapport.core.exceptions import NotAllowedError, StaleVersionError

SchemaT = TypeVar("SchemaT", bound=BaseModel)


def parse_filters(schema: type[SchemaT], query: QueryDict) -> tuple[SchemaT, list[str]]:
    """Read a filter from the query string, dropping (and reporting) values that do not fit."""
    data: dict[str, Any] = {
        key: value for key, value in query.items() if value != "" and key != "page"
    }
    try:
        return schema.model_validate(data), []
    except PydanticValidationError as error:
        bad = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        cleaned = {key: value for key, value in data.items() if key not in bad}
        return schema.model_validate(cleaned), sorted(bad)


def require(request: HttpRequest, permission: str, obj: Any = None) -> None:
    if not request.user.has_perm(permission, obj):
        raise PermissionDenied


def run_service(form: BaseForm, call: Any) -> Any:
    """Call a service; put its refusals on the form instead of letting them escape as errors."""
    try:
        return call()
    except StaleVersionError as error:
        form.add_error(None, str(error.message))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            form.add_error(None, error.messages)
    except NotAllowedError as error:
        raise PermissionDenied from error
    return None


def querystring_without_page(query: QueryDict) -> str:
    """The current filters as a query string, for pagination links."""
    copy = query.copy()
    copy.pop("page", None)
    return copy.urlencode()


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a form posted from another page, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def record_from(model: type[Any], value: str | None) -> Any:
    """The record a query-string id names; no id is None, an id that matches nothing a 404."""
    if not value or not value.isdigit():
        return None
    return get_object_or_404(model, pk=int(value))
