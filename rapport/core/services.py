"""Write helpers shared by every domain app's services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.db import models

from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.models import VersionedModel

VersionedT = TypeVar("VersionedT", bound=VersionedModel)


def lock_versioned(model: type[VersionedT], *, pk: int, expected_version: int | None) -> VersionedT:
    """Lock a row for the rest of the transaction and refuse it if its version moved on."""
    manager: models.Manager[VersionedT] = model._base_manager
    instance = manager.select_for_update().get(pk=pk)
    if expected_version is not None and instance.version != expected_version:
        raise StaleVersionError(current_version=instance.version)
    return instance


def save_versioned(instance: VersionedModel, *, acting_user: object | None) -> None:
    """Validate and save a changed row, raising its version and naming who changed it."""
    instance.version += 1
    instance.full_clean()
    instance._history_user = acting_user  # type: ignore[attr-defined]  # read by simple-history
    instance.save()


def require_permission(user: Any, permission: str, obj: object | None = None) -> None:
    """Refuse the change unless the user holds the permission (on the object, if given)."""
    if not user.has_perm(permission, obj):
        raise NotAllowedError(permission)


def apply_fields(
    instance: models.Model, data: Mapping[str, Any], allowed: Iterable[str]
) -> list[str]:
    """Copy the allowed fields from data onto the instance; return the names that changed."""
    changed = []
    for name in allowed:
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            changed.append(name)
    return changed
