"""Playbooks, roadmaps and their items, handoffs, commitments, reassignments and continuity
risk over the REST API.

Every write goes through the services, so permissions, history, the playbook checks and the
handoff's quality gate are the same as on the pages; a refusal answers 422 with the service's
own words, nothing changed.
"""

from __future__ import annotations

from ninja import Router

from rapport.roadmaps.api import continuity, handoffs, playbooks, roadmaps

router = Router()
router.add_router("", playbooks.router)
router.add_router("", roadmaps.router)
router.add_router("", handoffs.router)
router.add_router("", continuity.router)
