"""Client links: a read-only address to a roadmap that the client opens without signing in.

The token in the address is signed with the site's secret key under a salt of its own, and
carries the link's id and a random secret of which only the SHA-256 is stored. So a token
cannot be forged or altered (the signature fails), a leaked database opens nothing (it holds no
secret), and revoking or letting a link expire closes it at once whatever the token says.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from rapport.core.services import require_permission
from rapport.roadmaps.choices import RoadmapStatus
from rapport.roadmaps.models import ClientLink, Roadmap, hash_link_secret
from rapport.users.models import User

SALT = "rapport.roadmaps.client-link"
MAX_LINK_DAYS = 365
# A real token is about a hundred characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 300


@dataclass(frozen=True)
class LinkOpening:
    """What a token opens: a usable link, or nothing (``gone`` when it once opened a roadmap)."""

    link: ClientLink | None
    gone: bool = False


def default_expiry(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=settings.RAPPORT_CLIENT_LINK_DAYS)


def client_link_url(token: str) -> str:
    """The address to give the client; built from the token, which is shown only once."""
    path = reverse("roadmaps:client_roadmap", args=[token])
    return settings.RAPPORT_BASE_URL.rstrip("/") + path


@transaction.atomic
def client_link_create(
    *,
    roadmap: Roadmap,
    acting_user: User,
    expires_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> tuple[ClientLink, str]:
    """A new link to the roadmap, and its token (never stored, so shown only now)."""
    require_permission(acting_user, "roadmaps.share_roadmap", roadmap)
    today = today or timezone.localdate()
    if roadmap.status == RoadmapStatus.CANCELLED:
        raise ValidationError(_("A cancelled roadmap cannot be shared."))
    expires_on = expires_on or default_expiry(today)
    if expires_on <= today:
        raise ValidationError({"expires_on": _("Choose a date after today.")})
    latest = today + datetime.timedelta(days=MAX_LINK_DAYS)
    if expires_on > latest:
        raise ValidationError(
            {
                "expires_on": _("A link lasts at most a year: choose %(date)s or earlier.")
                % {"date": latest.isoformat()}
            }
        )
    secret = secrets.token_urlsafe(32)
    link = ClientLink(
        roadmap=roadmap,
        secret_hash=hash_link_secret(secret),
        expires_on=expires_on,
        created_by=acting_user,
    )
    link.full_clean()
    link._history_user = acting_user  # type: ignore[attr-defined]
    link.save()
    token = signing.dumps({"link": link.pk, "secret": secret}, salt=SALT)
    return link, token


@transaction.atomic
def client_link_revoke(
    *, link: ClientLink, acting_user: User, now: datetime.datetime | None = None
) -> ClientLink:
    """Close a link for good; the client then sees that it is no longer available."""
    require_permission(acting_user, "roadmaps.share_roadmap", link.roadmap)
    locked = ClientLink.objects.select_for_update().get(pk=link.pk)
    if locked.revoked_at is None:
        locked.revoked_at = now or timezone.now()
        locked._history_user = acting_user  # type: ignore[attr-defined]
        locked.save()
    return locked


def client_link_resolve(token: str, *, now: datetime.datetime | None = None) -> LinkOpening:
    """The link a token opens, its opening recorded; nothing for a tampered or unknown token,
    and nothing (but ``gone``) for a revoked or expired link or a cancelled roadmap."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return LinkOpening(link=None)
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return LinkOpening(link=None)
    link_id = payload.get("link") if isinstance(payload, dict) else None
    secret = payload.get("secret") if isinstance(payload, dict) else None
    if type(link_id) is not int or not isinstance(secret, str):
        return LinkOpening(link=None)
    link = ClientLink.objects.select_related("roadmap", "roadmap__account").filter(pk=link_id)
    found = link.first()
    if found is None or not constant_time_compare(found.secret_hash, hash_link_secret(secret)):
        return LinkOpening(link=None)
    now = now or timezone.now()
    if not found.is_usable(timezone.localdate(now)) or (
        found.roadmap.status == RoadmapStatus.CANCELLED
    ):
        return LinkOpening(link=None, gone=True)
    # Recorded without a history row: opening a link changes nothing about it.
    ClientLink.objects.filter(pk=found.pk).update(last_opened_at=now)
    found.last_opened_at = now
    return LinkOpening(link=found)


def link_state(link: ClientLink, *, today: datetime.date) -> str:
    """Whether a link still opens ("active"), ran out ("expired") or was closed ("revoked")."""
    if link.revoked_at is not None:
        return "revoked"
    return "active" if link.is_usable(today) else "expired"
