from django.urls import include, path

app_name = "revenue"

# Each area keeps its own list; they share the "revenue" namespace.
urlpatterns = [
    path("", include("rapport.revenue.urls_contracts")),
    path("", include("rapport.revenue.urls_opportunities")),
    path("", include("rapport.revenue.urls_insights")),
]
