from django.urls import URLPattern, path

from rapport.roadmaps.views import continuity

# Moving accounts when someone leaves, the handoff brief of each, and continuity risk.
urlpatterns: list[URLPattern] = [
    path("reassign/", continuity.reassign, name="reassign"),
    path("reassign/history/", continuity.reassign_list, name="reassign_list"),
    path("reassign/<uuid:batch>/", continuity.reassign_batch, name="reassign_batch"),
    path("reassign/briefs/<id:pk>/", continuity.handoff_brief, name="handoff_brief"),
    path("reassign/briefs/<id:pk>/pdf/", continuity.handoff_brief_pdf, name="handoff_brief_pdf"),
    path("accounts/<id:pk>/handoff-brief/", continuity.account_brief, name="account_brief"),
    path(
        "accounts/<id:pk>/handoff-brief/pdf/",
        continuity.account_brief_pdf,
        name="account_brief_pdf",
    ),
    path("continuity/", continuity.continuity_portfolio, name="continuity_portfolio"),
    path("continuity/needs-owner/", continuity.needs_owner, name="needs_owner"),
]
