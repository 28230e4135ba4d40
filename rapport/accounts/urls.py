from django.urls import path

from rapport.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="account_list"),
    path("new/", views.account_create, name="account_create"),
    path("suggest/", views.account_suggest, name="account_suggest"),
    path("<id:pk>/", views.account_detail, name="account_detail"),
    path("<id:pk>/edit/", views.account_edit, name="account_edit"),
    path("<id:pk>/archive/", views.account_archive, name="account_archive"),
    path("<id:pk>/team/", views.account_team, name="account_team"),
    path("<id:pk>/team/<id:member_pk>/end/", views.team_member_end, name="team_member_end"),
    path("<id:pk>/history/", views.account_history, name="account_history"),
]
