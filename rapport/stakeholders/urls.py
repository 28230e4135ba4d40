from django.urls import path

from rapport.stakeholders import views

app_name = "stakeholders"

urlpatterns = [
    path("", views.stakeholder_list, name="stakeholder_list"),
    path("trash/", views.trash, name="trash"),
    path("new/for/<id:account_pk>/", views.stakeholder_create, name="stakeholder_create"),
    path("org-chart/<id:account_pk>/", views.account_org_chart, name="org_chart"),
    path("<id:pk>/", views.stakeholder_detail, name="stakeholder_detail"),
    path("<id:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("<id:pk>/left/", views.stakeholder_mark_left, name="stakeholder_mark_left"),
    path("<id:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
    path("<id:pk>/restore/", views.stakeholder_restore, name="stakeholder_restore"),
    path("<id:pk>/history/", views.stakeholder_history, name="stakeholder_history"),
]
