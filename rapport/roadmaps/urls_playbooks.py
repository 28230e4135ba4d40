from django.urls import path

from rapport.roadmaps.views import playbooks

# Playbook templates: read by everyone, written by administrators and heads.
urlpatterns = [
    path("playbooks/", playbooks.playbook_list, name="playbook_list"),
    path("playbooks/new/", playbooks.playbook_create, name="playbook_create"),
    path("playbooks/owner-roles/", playbooks.owner_roles, name="playbook_owner_roles"),
    path("playbooks/<id:pk>/", playbooks.playbook_detail, name="playbook_detail"),
    path("playbooks/<id:pk>/edit/", playbooks.playbook_edit, name="playbook_edit"),
    path("playbooks/<id:pk>/archive/", playbooks.playbook_archive, name="playbook_archive"),
    path("playbooks/<id:pk>/delete/", playbooks.playbook_delete, name="playbook_delete"),
    path("playbooks/<id:pk>/duplicate/", playbooks.playbook_duplicate, name="playbook_duplicate"),
    path("playbooks/<id:pk>/preview/", playbooks.playbook_preview, name="playbook_preview"),
    path("playbooks/<id:pk>/phases/new/", playbooks.phase_create, name="playbook_phase_create"),
    path("playbooks/phases/<id:pk>/edit/", playbooks.phase_edit, name="playbook_phase_edit"),
    path("playbooks/phases/<id:pk>/delete/", playbooks.phase_delete, name="playbook_phase_delete"),
    path("playbooks/phases/<id:pk>/move/", playbooks.phase_move, name="playbook_phase_move"),
    path("playbooks/phases/<id:pk>/items/new/", playbooks.item_create, name="playbook_item_create"),
    path("playbooks/items/<id:pk>/edit/", playbooks.item_edit, name="playbook_item_edit"),
    path("playbooks/items/<id:pk>/delete/", playbooks.item_delete, name="playbook_item_delete"),
    path("playbooks/items/<id:pk>/move/", playbooks.item_move, name="playbook_item_move"),
]
