from django.urls import path

from rapport.accountmaps import export_views, views

app_name = "accountmaps"

urlpatterns = [
    path("<id:account_pk>/", views.account_map, name="account_map"),
    path("<id:account_pk>/people/new/", views.map_person_add, name="map_person_add"),
    path("<id:account_pk>/people/<id:pk>/", views.map_person, name="map_person"),
    path("<id:account_pk>/people/<id:pk>/edit/", views.map_person_edit, name="map_person_edit"),
    path("<id:account_pk>/people/<id:pk>/manager/", views.map_person_move, name="map_person_move"),
    path("<id:account_pk>/export/", export_views.map_export, name="map_export"),
]
