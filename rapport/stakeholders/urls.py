from django.urls import path

from rapport.stakeholders import views

app_name = "stakeholders"

urlpatterns = [
    path("", views.stakeholder_list, name="stakeholder_list"),
    path("trash/", views.trash, name="trash"),
    path("moves/", views.opportunity_moves, name="opportunity_moves"),
    path("accounts/suggest/", views.account_suggest, name="account_suggest"),
    path("new/for/<id:account_pk>/", views.stakeholder_create, name="stakeholder_create"),
    path("org-chart/<id:account_pk>/", views.account_org_chart, name="org_chart"),
    path("skeleton/<id:account_pk>/", views.account_skeleton, name="account_skeleton"),
    path("changes/<id:account_pk>/", views.account_changes, name="account_changes"),
    path("<id:pk>/", views.stakeholder_detail, name="stakeholder_detail"),
    path("<id:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("<id:pk>/left/", views.stakeholder_mark_left, name="stakeholder_mark_left"),
    path("<id:pk>/move/", views.stakeholder_move, name="stakeholder_move"),
    path("<id:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
    path("<id:pk>/restore/", views.stakeholder_restore, name="stakeholder_restore"),
    path("<id:pk>/history/", views.stakeholder_history, name="stakeholder_history"),
    path("<id:pk>/owners/", views.owner_add, name="owner_add"),
    path("<id:pk>/owners/<id:owner_pk>/", views.owner_update, name="owner_update"),
    path("<id:pk>/owners/<id:owner_pk>/remove/", views.owner_remove, name="owner_remove"),
    path("<id:pk>/relationships/", views.relationship_add, name="relationship_add"),
    path(
        "<id:pk>/relationships/<id:relationship_pk>/remove/",
        views.relationship_remove,
        name="relationship_remove",
    ),
    path("<id:pk>/links/", views.link_add, name="link_add"),
    path("<id:pk>/links/<id:link_pk>/remove/", views.link_remove, name="link_remove"),
    path("<id:pk>/links/<id:link_pk>/primary/", views.link_make_primary, name="link_make_primary"),
    path("<id:pk>/positions/", views.position_add, name="position_add"),
    path(
        "<id:pk>/positions/<id:position_pk>/remove/",
        views.position_remove,
        name="position_remove",
    ),
]
