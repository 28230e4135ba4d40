from django.urls import path  # noqa: F401  # the pages are added below as they are built

app_name = "interchange"

urlpatterns: list = []
