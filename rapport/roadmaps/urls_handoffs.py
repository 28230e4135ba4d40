from django.urls import URLPattern, path

from rapport.roadmaps.views import commitments, handoffs

urlpatterns: list[URLPattern] = [
    # Handoffs from the account executive.
    path("handoffs/", handoffs.handoff_list, name="handoff_list"),
    path("handoffs/new/", handoffs.handoff_create, name="handoff_create"),
    path("handoffs/check/", handoffs.handoff_check, name="handoff_check"),
    path("handoffs/people/", handoffs.handoff_people, name="handoff_people"),
    path("handoffs/<id:pk>/", handoffs.handoff_detail, name="handoff_detail"),
    path("handoffs/<id:pk>/edit/", handoffs.handoff_edit, name="handoff_edit"),
    path("handoffs/<id:pk>/submit/", handoffs.handoff_submit, name="handoff_submit"),
    path("handoffs/<id:pk>/acknowledge/", handoffs.handoff_acknowledge, name="handoff_acknowledge"),
    # The commitments ledger.
    path("commitments/", commitments.commitment_list, name="commitment_list"),
    path("commitments/new/", commitments.commitment_create, name="commitment_create"),
    path("commitments/today/", commitments.today_commitments, name="commitment_today"),
    path(
        "commitments/accounts/<id:pk>/",
        commitments.account_commitments,
        name="commitment_account",
    ),
    path("commitments/<id:pk>/edit/", commitments.commitment_edit, name="commitment_edit"),
    path("commitments/<id:pk>/status/", commitments.commitment_status, name="commitment_status"),
]
