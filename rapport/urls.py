from functools import partial

from django.urls import include, path, register_converter
from ninja.openapi.views import openapi_view

from rapport.api import api
from rapport.core import views as core_views
from rapport.core.converters import RecordIdConverter
from rapport.workspace import views as workspace_views

register_converter(RecordIdConverter, "id")

handler403 = "rapport.core.views.error_403"
handler404 = "rapport.core.views.error_404"
handler500 = "rapport.core.views.error_500"

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("search/", workspace_views.search, name="search"),
    path("healthz", core_views.healthz, name="healthz"),
    path("auth/", include("allauth.urls")),
    path("accounts/", include("rapport.accounts.urls")),
    path("stakeholders/", include("rapport.stakeholders.urls")),
    path("maps/", include("rapport.accountmaps.urls")),
    path("me/", include("rapport.users.urls")),
    path("", include("rapport.communications.urls")),
    path("", include("rapport.roadmaps.urls")),
    path("", include("rapport.revenue.urls")),
    path("imports/", include("rapport.interchange.urls")),
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api_docs"),
]
