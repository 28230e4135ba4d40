"""The pipeline's stages: listed in board order, added, changed and reordered by the house."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exports import export_format
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.revenue import exports, services
from rapport.revenue.choices import OpportunityStatus
from rapport.revenue.forms.pipeline import StageForm, StageOrderForm
from rapport.revenue.models import Opportunity, PipelineStage

PERMISSION = "revenue.change_catalogue"


@login_required
def stage_list(request: AppRequest) -> HttpResponseBase:
    require(request, PERMISSION)
    stages = list(PipelineStage.objects.order_by("position", "id"))
    counts = {
        row["stage_id"]: row
        for row in Opportunity.objects.order_by()
        .values("stage_id")
        .annotate(total=Count("id"), open=Count("id", filter=Q(status=OpportunityStatus.OPEN)))
    }
    for stage in stages:
        row = counts.get(stage.pk, {})
        stage.opportunity_count = row.get("total", 0)  # type: ignore[attr-defined]
        stage.open_count = row.get("open", 0)  # type: ignore[attr-defined]
    if kind := export_format(request):
        return exports.stage_export(kind, stages)
    return render(request, "revenue/stage_list.html", {"stages": stages})


@login_required
def stage_create(request: AppRequest) -> HttpResponse:
    require(request, PERMISSION)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form, lambda: services.stage_create(acting_user=request.user, data=form.stage_data())
        )
        if saved is not None:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": saved})
            return redirect("revenue:stage_list")
    return render(request, "revenue/stage_form.html", {"form": form, "stage": None})


@login_required
def stage_edit(request: AppRequest, pk: int) -> HttpResponse:
    require(request, PERMISSION)
    stage = get_object_or_404(PipelineStage, pk=pk)
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.stage_update(
                stage=stage, acting_user=request.user, data=form.stage_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": saved})
            return redirect("revenue:stage_list")
    if request.method == "POST":
        # A refused change leaves the stage as it was: name it by what is stored.
        stage.refresh_from_db()
    return render(request, "revenue/stage_form.html", {"form": form, "stage": stage})


@login_required
@require_POST
def stage_reorder(request: AppRequest) -> HttpResponse:
    """Move one stage a place up or down; the board's columns follow."""
    require(request, PERMISSION)
    form = StageOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a stage and a direction."))
        return redirect("revenue:stage_list")
    order = list(PipelineStage.objects.order_by("position", "id").values_list("pk", flat=True))
    stage = form.cleaned_data["stage"]
    index = order.index(stage.pk)
    other = index - 1 if form.cleaned_data["direction"] == "up" else index + 1
    if 0 <= other < len(order):
        order[index], order[other] = order[other], order[index]
        try:
            services.stage_reorder(acting_user=request.user, stage_ids=order)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Stage “%(name)s” moved.") % {"name": stage})
    return redirect(reverse("revenue:stage_list") + f"#stage-{stage.pk}")
