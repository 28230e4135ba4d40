from django.urls import include, path

app_name = "roadmaps"

# Each area keeps its own list; they share the "roadmaps" namespace.
urlpatterns = [
    path("", include("rapport.roadmaps.urls_playbooks")),
    path("", include("rapport.roadmaps.urls_roadmaps")),
    path("", include("rapport.roadmaps.urls_handoffs")),
    path("", include("rapport.roadmaps.urls_continuity")),
]
