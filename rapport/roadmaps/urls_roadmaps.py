from django.urls import path

from rapport.roadmaps.views import client, roadmaps

urlpatterns = [
    # An account's roadmaps, one roadmap, its PDF.
    path("accounts/<id:account_pk>/roadmaps/", roadmaps.account_roadmaps, name="account_roadmaps"),
    path("roadmaps/<id:pk>/", roadmaps.roadmap_detail, name="roadmap_detail"),
    path("roadmaps/<id:pk>/edit/", roadmaps.roadmap_edit, name="roadmap_edit"),
    path("roadmaps/<id:pk>/cancel/", roadmaps.roadmap_cancel, name="roadmap_cancel"),
    path("roadmaps/<id:pk>/pdf/", roadmaps.roadmap_pdf, name="roadmap_pdf"),
    # Its items.
    path("roadmaps/<id:pk>/items/new/", roadmaps.roadmap_item_add, name="roadmap_item_add"),
    path("roadmaps/items/<id:pk>/edit/", roadmaps.roadmap_item_edit, name="roadmap_item_edit"),
    path(
        "roadmaps/items/<id:pk>/status/", roadmaps.roadmap_item_status, name="roadmap_item_status"
    ),
    path(
        "roadmaps/items/<id:pk>/delete/", roadmaps.roadmap_item_delete, name="roadmap_item_delete"
    ),
    # Client links: made and revoked by us, opened by the client without signing in.
    path("roadmaps/<id:pk>/links/", roadmaps.client_link_create, name="client_link_create"),
    path("roadmaps/links/<id:pk>/revoke/", roadmaps.client_link_revoke, name="client_link_revoke"),
    path("shared/roadmaps/<str:token>/", client.client_roadmap, name="client_roadmap"),
    path("shared/roadmaps/<str:token>/pdf/", client.client_roadmap_pdf, name="client_roadmap_pdf"),
]
