"""Forms for partner staff (admin: homeowner accounts, linking to Podero) and for homeowners (settings)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Role, User
from .services import LinkError, parse_uuid


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """IANA zone names, grouped by region, without the legacy aliases (EST5EDT, Etc/GMT+3, ...)."""
    names = sorted(
        name for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    )
    return [(name, name.replace("_", " ")) for name in ["UTC", *names]]


# --- Admin: the user model's forms without a username ------------------------------------------
class HomeownerCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)
        field_classes: dict[str, Any] = {}


class HomeownerChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"
        field_classes: dict[str, Any] = {}


# --- Admin: add a homeowner and link them to Podero ----------------------------------------------
class LinkHomeownerForm(forms.Form):
    """Link a homeowner to an existing Podero user, or create the Podero user through the API.

    `user` given: link that existing account (the email is theirs and not asked for).
    `user` None: create the account too (a password is optional; without one they use "Forgot password").
    """

    EXISTING, CREATE = "existing", "create"

    email = forms.EmailField(label="Email address")
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(
        required=False, strip=False, widget=forms.PasswordInput(render_value=False),
        help_text="Optional. Without a password the homeowner sets one with “Forgot password?” "
                  "on the login page.",
    )
    how = forms.ChoiceField(
        label="Podero user", widget=forms.RadioSelect, initial=EXISTING,
        choices=[(EXISTING, "Link to an existing Podero user (enter its id below)"),
                 (CREATE, "Create a new Podero user through the Podero API")],
    )
    podero_user_id = forms.CharField(
        label="Podero user id", required=False, max_length=64,
        help_text="The id of the user in your Podero organization, "
                  "e.g. 497f6eca-6276-4993-bfeb-53cbbbba6f08.",
    )
    external_user_id = forms.CharField(
        label="Your customer number", required=False, max_length=100,
        help_text="Optional, only when creating the Podero user: stored at Podero as external_user_id.",
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        if user is not None:
            del self.fields["email"], self.fields["password"]
            self.fields["first_name"].initial = user.first_name
            self.fields["last_name"].initial = user.last_name

    @property
    def email_value(self) -> str:
        return self.user.email if self.user is not None else self.cleaned_data["email"].strip().lower()

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Open it from the list and use “Link to Podero”."
            )
        return email

    def clean_podero_user_id(self) -> str:
        value = self.cleaned_data["podero_user_id"].strip()
        if value:
            try:
                return str(parse_uuid(value, what="Podero user id"))
            except LinkError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        missing_id = not data.get("podero_user_id") and "podero_user_id" not in self.errors
        if data.get("how") == self.EXISTING and missing_id:
            self.add_error("podero_user_id",
                           "Enter the Podero user id, or choose to create a new Podero user.")
        password = data.get("password")
        if password and "email" in data:
            candidate = User(email=data["email"], first_name=data.get("first_name", ""),
                             last_name=data.get("last_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


# --- Homeowner: settings -------------------------------------------------------------------------
class SettingsForm(forms.ModelForm):
    timezone = forms.TypedChoiceField(
        label="Time zone", choices=timezone_choices,
        help_text="Used for your charge schedules and the times shown on your dashboard.",
    )

    class Meta:
        model = User
        fields = ("notify_attention", "timezone")
        labels = {"notify_attention": "Email me when a device needs attention"}
        help_texts = {
            "notify_attention": "For example when a manufacturer account needs to be reconnected. "
                                "One email per problem, never more.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.timezone
        choices = timezone_choices()
        if current and current not in dict(choices) and current in zoneinfo.available_timezones():
            self.fields["timezone"].choices = [(current, current), *choices]


# --- Homeowner: invite someone into the home -------------------------------------------------------
class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("What they may do"), widget=forms.RadioSelect, initial=Role.VIEWER,
        choices=[(Role.MEMBER, _("Member: sees everything and uses every control")),
                 (Role.VIEWER, _("Viewer: sees everything, changes nothing"))],
    )
