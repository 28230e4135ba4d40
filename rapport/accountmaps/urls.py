from django.urls import path

from rapport.accountmaps import export_views, views

app_name = "accountmaps"

urlpatterns = [
    path("<id:account_pk>/", views.account_map, name="account_map"),
    path("<id:account_pk>/export/", export_views.map_export, name="map_export"),
]
