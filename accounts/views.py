"""Homeowner account pages: settings (attention emails, time zone), and the household (who else may see
and steer the home: invitations by email, members and viewers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import InviteForm, SettingsForm
from .services import InviteError


def _settings_page(request: HttpRequest, form: SettingsForm, *, invite_form: InviteForm | None = None,
                   status: int = 200) -> HttpResponse:
    access = services.household_access(request.user)
    context = {"form": form, "access": access}
    if access is not None and access.can_manage:
        context.update(services.household_of(access.link))
        context["invite_form"] = invite_form or InviteForm()
    elif access is not None:
        context["owner"] = access.link.user
    return render(request, "accounts/settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your settings are saved."))
            return redirect("accounts:settings")
        return _settings_page(request, form, status=400)
    return _settings_page(request, form)


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
            services.household_invite_send(invite=invite, token=token, owner=request.user)
            messages.success(request, _("Invitation sent to %(email)s. It works once and expires in 7 days.")
                             % {"email": invite.email})
            return redirect("accounts:settings")
    return _settings_page(request, SettingsForm(instance=request.user), invite_form=invite_form, status=400)


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
