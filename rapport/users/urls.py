from django.urls import path

from rapport.users import views

app_name = "users"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.api_token_create, name="api_token_create"),
    path("profile/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("language/", views.set_language, name="set_language"),
]
