"""Products, exchange rates, the pipeline, contracts, opportunities and the retention metrics
over the REST API.

Every write goes through the services, so permissions, history and the checks on lines, dates
and rates are the same as on the pages; a refusal answers 422 with the service's own words,
nothing changed. Money is a string with two decimals, its currency beside it.
"""

from __future__ import annotations

from ninja import Router

from rapport.revenue.api import catalogue, contracts, metrics, opportunities

router = Router()
router.add_router("", catalogue.router)
router.add_router("", contracts.router)
router.add_router("", opportunities.router)
router.add_router("", metrics.router)
