from django.urls import path

from rapport.interchange import views

app_name = "interchange"

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("salesforce/new/", views.salesforce_new, name="salesforce_new"),
    path("salesforce/export/", views.salesforce_export, name="salesforce_export"),
    path("<id:pk>/", views.import_detail, name="import_detail"),
    path("<id:pk>/report.csv", views.import_report, name="import_report"),
    path("<id:pk>/repeat/", views.import_repeat, name="import_repeat"),
    path("<id:pk>/delete/", views.import_delete, name="import_delete"),
]

# Spreadsheet imports: upload, map the columns, preview, then the run's page above.
from rapport.interchange import views_spreadsheet  # noqa: E402

urlpatterns += [
    path("spreadsheet/new/", views_spreadsheet.spreadsheet_new, name="spreadsheet_new"),
    path("<id:pk>/mapping/", views_spreadsheet.spreadsheet_mapping, name="spreadsheet_mapping"),
    path("<id:pk>/preview/", views_spreadsheet.spreadsheet_preview, name="spreadsheet_preview"),
]
