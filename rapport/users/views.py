"""The signed-in user's profile, language and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exports import export_format
from rapport.core.history import history_entries
from rapport.core.pagination import paginate
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service
from rapport.users import exports, services
from rapport.users.forms import ApiTokenForm, ProfileForm, UserCreateForm, UserEditForm
from rapport.users.models import ApiToken, User


@login_required
def profile(request: AppRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user, prefix="profile")
    if request.method == "POST" and form.is_valid():
        user = form.save()
        translation.activate(user.language)
        messages.success(request, _("Your profile is saved."))
        response = redirect("users:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response
    context = {
        "form": form,
        "token_form": ApiTokenForm(prefix="token"),
        "tokens": request.user.api_tokens.all(),
        "new_token": request.session.pop("new_api_token", None),
    }
    return render(request, "users/profile.html", context)


@login_required
@require_POST
def api_token_create(request: AppRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST, prefix="token")
    if not form.is_valid():
        messages.error(request, _("Give the token a name of at most 100 characters."))
        return redirect("users:profile")
    _token, raw = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    # Shown once on the next page, then gone: only the hash is kept.
    request.session["new_api_token"] = raw
    return redirect("users:profile")


@login_required
@require_POST
def api_token_revoke(request: AppRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("users:profile")


@require_POST
def set_language(request: AppRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = redirect(next_url)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response


@login_required
def user_list(request: AppRequest) -> HttpResponseBase:
    require(request, "users.manage_users")
    query = request.GET.get("q", "").strip()
    users = User.objects.order_by("first_name", "last_name", "email")
    if query:
        users = users.filter(
            Q(email__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    if kind := export_format(request):
        return exports.user_export(kind, users)
    page = paginate(users, page=request.GET.get("page"), per_page=50)
    return render(request, "users/user_list.html", {"page": page, "query": query})


@login_required
def user_create(request: AppRequest) -> HttpResponse:
    require(request, "users.manage_users")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = run_service(form, lambda: services.user_create(password=None, **form.cleaned_data))
        if user is not None:
            services.user_send_welcome(request=request, user=user)
            messages.success(
                request,
                _("%(name)s can now sign in: an e-mail to choose a password was sent to %(email)s.")
                % {"name": user, "email": user.email},
            )
            return redirect("users:user_list")
    return render(request, "users/user_form.html", {"form": form, "edited": None})


@login_required
def user_edit(request: AppRequest, pk: int) -> HttpResponse:
    require(request, "users.manage_users")
    edited = get_object_or_404(User, pk=pk)
    form = UserEditForm(request.POST or None, instance=edited)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.user_update(
                user=edited, acting_user=request.user, data=form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": saved})
            return redirect("users:user_list")
    records = list(edited.history.select_related("history_user")[:200])
    entries = history_entries(records, User, subject=str(edited))
    context = {"form": form, "edited": edited, "entries": entries[:20]}
    return render(request, "users/user_form.html", context)
