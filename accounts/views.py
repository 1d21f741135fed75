"""Homeowner account pages: settings (language, time zone, attention emails, email address, password,
other sessions, deleting the account), and the household (who else may see
and steer the home: invitations by email, members and viewers)."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import AddEmailForm
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import DeleteAccountForm, InviteForm, SettingsForm
from .language import remember_language
from .services import InviteError


def _settings_page(request: HttpRequest, form: SettingsForm | None = None, *,
                   invite_form: InviteForm | None = None, delete_form: DeleteAccountForm | None = None,
                   status: int = 200) -> HttpResponse:
    user = request.user
    access = services.household_access(user)
    context: dict[str, Any] = {
        "form": form or SettingsForm(instance=user), "access": access,
        "delete_form": delete_form or DeleteAccountForm(user=user),
        "email_form": AddEmailForm(user=user),
        "emails": services.account_emails(user),
        "has_password": user.has_usable_password(),
    }
    if access is not None and access.can_manage:
        context.update(services.household_of(access.link))
        context["invite_form"] = invite_form or InviteForm()
    elif access is not None:
        context["owner"] = access.link.user
    return render(request, "accounts/settings.html", context, status=status)


def _browser_language(request: HttpRequest) -> str:
    """The language the browser asks for (Accept-Language), ignoring the switcher's cookie."""
    for code, _quality in parse_accept_lang_header(request.headers.get("accept-language", "")):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    """Language, time zone and attention emails. A new language takes effect at once: this answer's
    message is in it already, and the switcher's cookie follows (cleared for "Same as my browser")."""
    if request.method != "POST":
        return _settings_page(request)
    form = SettingsForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _settings_page(request, form, status=400)
    user = form.save()
    language = user.language or _browser_language(request)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    messages.success(request, _("Your settings are saved."))
    response = redirect("accounts:settings")
    remember_language(response, user.language)  # "Same as my browser" forgets the switcher's cookie
    return response


@require_POST
@login_required
def sessions_end(request: HttpRequest) -> HttpResponse:
    """Sign out everywhere else (a lost phone, a shared computer): this browser stays signed in."""
    services.account_end_other_sessions(request=request, user=request.user)
    messages.success(request, _("You are signed out on every other device and browser."))
    return redirect("accounts:settings")


@require_POST
@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account after the password. Partner staff accounts are removed by other staff in the admin."""
    if request.user.is_staff:
        raise PermissionDenied("staff accounts are removed in the admin")
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return _settings_page(request, delete_form=form, status=400)
    services.account_delete(user=request.user)
    logout(request)
    messages.success(request, _("Your account is deleted. Thank you for using %(name)s.")
                     % {"name": settings.PARTNER.localized().name})
    return redirect("account_login")


@require_POST
@login_required
def household_invite(request: HttpRequest) -> HttpResponse:
    """The owner invites someone by email (a viewer or a member gets 403: only the owner manages)."""
    services.household_access(request.user, manage=True)
    invite_form = InviteForm(request.POST)
    if invite_form.is_valid():
        try:
            invite, token = services.household_invite_create(owner=request.user, **invite_form.cleaned_data)
        except InviteError as exc:
            invite_form.add_error("email", str(exc))
        else:
            services.household_invite_send(invite=invite, token=token, owner=request.user, request=request)
            messages.success(request, _("Invitation sent to %(email)s. It works once and expires in 7 days.")
                             % {"email": invite.email})
            return redirect("accounts:settings")
    return _settings_page(request, invite_form=invite_form, status=400)


@require_POST
@login_required
def household_member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    member = services.household_member_remove(owner=request.user, member_id=member_id)
    messages.success(request, _("%(email)s no longer has access to your home.") % {"email": member.user.email})
    return redirect("accounts:settings")


@require_POST
@login_required
def household_invite_revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    invite = services.household_invite_revoke(owner=request.user, invite_id=invite_id)
    messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": invite.email})
    return redirect("accounts:settings")


PENDING_INVITE = "household-invite"  # session key: the invitation opened before signing in


@require_http_methods(["GET", "POST"])
def household_join(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link. Signed out: sign in or create an account (allauth), then back here (`next`,
    or, when an email confirmation came between, the dashboard sends a person without a home back here
    once). Signed in: whose home and which role, with an Accept button (POST, CSRF)."""
    try:
        invite = services.household_invite_find(token)
    except InviteError as exc:
        request.session.pop(PENDING_INVITE, None)
        return render(request, "accounts/household_join.html", {"problem": str(exc)}, status=410)
    context = {"invite": invite, "owner": invite.link.user, "path": request.path}
    if not request.user.is_authenticated:
        request.session[PENDING_INVITE] = token
        return render(request, "accounts/household_join.html", context)
    request.session.pop(PENDING_INVITE, None)  # brought back once; the link itself still works
    if request.method == "POST":
        try:
            services.household_invite_accept(token=token, user=request.user)
        except InviteError as exc:
            context["problem"] = str(exc)
            return render(request, "accounts/household_join.html", context, status=409)
        messages.success(request, _("Welcome: you now see %(name)s's home.") % {"name": invite.link.user.display_name})
        return redirect("dashboard:home")
    return render(request, "accounts/household_join.html", context)
