from django.urls import path

from rapport.revenue.views import opportunities, pipeline

urlpatterns = [
    # Opportunities: a list, the board by stage, one opportunity and how it closes.
    path("revenue/opportunities/", opportunities.opportunity_list, name="opportunity_list"),
    path("revenue/opportunities/board/", opportunities.opportunity_board, name="opportunity_board"),
    path("revenue/opportunities/new/", opportunities.opportunity_create, name="opportunity_create"),
    path(
        "revenue/opportunities/<id:pk>/",
        opportunities.opportunity_detail,
        name="opportunity_detail",
    ),
    path(
        "revenue/opportunities/<id:pk>/edit/",
        opportunities.opportunity_edit,
        name="opportunity_edit",
    ),
    path(
        "revenue/opportunities/<id:pk>/move/",
        opportunities.opportunity_move,
        name="opportunity_move",
    ),
    path(
        "revenue/opportunities/<id:pk>/win/", opportunities.opportunity_win, name="opportunity_win"
    ),
    path(
        "revenue/opportunities/<id:pk>/lose/",
        opportunities.opportunity_lose,
        name="opportunity_lose",
    ),
    path(
        "revenue/opportunities/<id:pk>/reopen/",
        opportunities.opportunity_reopen,
        name="opportunity_reopen",
    ),
    path(
        "revenue/opportunities/<id:pk>/history/",
        opportunities.opportunity_history,
        name="opportunity_history",
    ),
    # Renewals by month and forecast category.
    path("revenue/renewals/", opportunities.renewal_list, name="renewal_list"),
    # The pipeline's stages, kept by administrators and heads.
    path("revenue/pipeline/", pipeline.stage_list, name="stage_list"),
    path("revenue/pipeline/new/", pipeline.stage_create, name="stage_create"),
    path("revenue/pipeline/<id:pk>/edit/", pipeline.stage_edit, name="stage_edit"),
    path("revenue/pipeline/order/", pipeline.stage_reorder, name="stage_reorder"),
]
