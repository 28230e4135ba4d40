"""The signed-in user's profile, language and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.types import AppRequest
from rapport.users import services
from rapport.users.forms import ApiTokenForm, ProfileForm
from rapport.users.models import ApiToken


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
