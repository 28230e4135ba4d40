"""The client's view of a roadmap, opened by a signed link without signing in.

It shows the account's name, the roadmap's name, the message to the client, the progress and
the Gantt of the items shown to the client, and nothing else: no internal note, no internal-only
item, no link into the application. A link that is tampered with, unknown, revoked or expired
opens a plain page that says so and holds no data.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from rapport.core.types import AppRequest
from rapport.roadmaps import clientlinks, drawing, selectors
from rapport.roadmaps.clientlinks import LinkOpening
from rapport.roadmaps.models import ClientLink
from rapport.roadmaps.views.roadmaps import pdf_response, roadmap_pdf_content


def _private(response: HttpResponse) -> HttpResponse:
    """A page behind a secret address: kept by no cache, indexed by no robot, and never told
    to another site through the Referer header."""
    response["Cache-Control"] = "private, no-store, max-age=0"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _unavailable(request: AppRequest, opening: LinkOpening) -> HttpResponse:
    # Gone (410) for a link that once worked, unknown (404) for anything else; the page is the
    # same plain one, so it tells nobody more than that.
    status = 410 if opening.gone else 404
    return _private(render(request, "roadmaps/client_unavailable.html", status=status))


def _client_context(link: ClientLink) -> dict[str, Any]:
    roadmap = selectors.client_roadmap(pk=link.roadmap_id)
    today = timezone.localdate()
    items = selectors.roadmap_items(roadmap)
    gantt = drawing.build_gantt(roadmap, today=today, for_client=True)
    context = {
        "link": link,
        "roadmap": roadmap,
        "account_name": roadmap.account.name,
        "today": today,
        "phases": [phase for phase in roadmap.phases.all() if phase.items.all()],
        "progress": selectors.progress_from_items(roadmap, items, today=today),
        # The drawing escapes every text it places.
        "svg": mark_safe(drawing.render_svg(gantt, standalone=False)),  # noqa: S308
    }
    return context


@require_safe
def client_roadmap(request: AppRequest, token: str) -> HttpResponse:
    """The roadmap as the client sees it."""
    opening = clientlinks.client_link_resolve(token)
    if opening.link is None:
        return _unavailable(request, opening)
    context = _client_context(opening.link) | {"token": token}
    return _private(render(request, "roadmaps/client_roadmap.html", context))


@require_safe
def client_roadmap_pdf(request: AppRequest, token: str) -> HttpResponse:
    """The client's view as a PDF: the same Gantt and the items shown to the client."""
    opening = clientlinks.client_link_resolve(token)
    if opening.link is None:
        return _unavailable(request, opening)
    roadmap = selectors.client_roadmap(pk=opening.link.roadmap_id)
    return _private(pdf_response(roadmap_pdf_content(roadmap, for_client=True), roadmap))
