from django.urls import path

from rapport.communications.views import cadence, calendar, interop, log, today

app_name = "communications"

urlpatterns = [
    # The day's work.
    path("today/", today.today, name="today"),
    # The log: touchpoints, the quick-log form, an account's timeline.
    path("touchpoints/", log.touchpoint_list, name="touchpoint_list"),
    path("touchpoints/new/", log.touchpoint_create, name="touchpoint_create"),
    path("touchpoints/quick/", log.quick_log, name="quick_log"),
    path("touchpoints/<id:pk>/", log.touchpoint_detail, name="touchpoint_detail"),
    path("touchpoints/<id:pk>/edit/", log.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<id:pk>/delete/", log.touchpoint_delete, name="touchpoint_delete"),
    path("accounts/<id:pk>/timeline/", log.account_timeline, name="account_timeline"),
    # Follow-up tasks.
    path("tasks/", log.task_list, name="task_list"),
    path("tasks/new/", log.task_create, name="task_create"),
    path("tasks/<id:pk>/", log.task_detail, name="task_detail"),
    path("tasks/<id:pk>/edit/", log.task_edit, name="task_edit"),
    path("tasks/<id:pk>/status/", log.task_status, name="task_status"),
    # Cadence and the communication calendar.
    path("accounts/<id:pk>/cadence/", cadence.account_cadence, name="account_cadence"),
    path(
        "accounts/<id:pk>/cadence/<id:rule_pk>/reset/",
        cadence.cadence_rule_reset,
        name="cadence_rule_reset",
    ),
    path("cadence/defaults/", cadence.cadence_defaults, name="cadence_defaults"),
    path("calendar/", calendar.calendar, name="calendar"),
    # Calendar files and e-mail in and out.
    path("calendar/feed/", interop.calendar_feed_settings, name="calendar_feed_settings"),
    path("calendar/feed/<str:token>.ics", interop.calendar_feed, name="calendar_feed"),
    path("calendar/import/", interop.ics_import, name="ics_import"),
    path("mail/import/", interop.mail_import, name="mail_import"),
    path("mail/unmatched/", interop.inbound_list, name="inbound_list"),
    path("mail/unmatched/<id:pk>/", interop.inbound_detail, name="inbound_detail"),
]
