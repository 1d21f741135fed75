"""Forms for partner staff (admin: homeowner accounts, linking to Podero) and for homeowners (settings)."""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Role, User
from .services import LinkError, parse_uuid

COMMON_TIMEZONES = ("Europe/Vienna", "Europe/Berlin", "Europe/Zurich")
# Links kept for old data, in case the system has no zone.tab to tell the canonical names apart.
LEGACY_ALIASES = frozenset({
    "Asia/Calcutta", "Asia/Saigon", "Asia/Katmandu", "Asia/Rangoon", "Asia/Dacca", "Asia/Thimbu",
    "Asia/Ujung_Pandang", "Asia/Ulan_Bator", "Asia/Macao", "Asia/Chungking", "Asia/Istanbul", "Asia/Tel_Aviv",
    "Asia/Ashkhabad", "Europe/Kiev", "Europe/Uzhgorod", "Europe/Zaporozhye", "Europe/Belfast", "Europe/Nicosia",
    "Europe/Tiraspol", "America/Buenos_Aires", "America/Catamarca", "America/Cordoba", "America/Jujuy",
    "America/Mendoza", "America/Indianapolis", "America/Louisville", "America/Fort_Wayne", "America/Knox_IN",
    "America/Porto_Acre", "America/Ensenada", "America/Santa_Isabel", "America/Shiprock", "America/Virgin",
    "America/Godthab", "America/Atka", "America/Coral_Harbour", "America/Rosario", "Atlantic/Faeroe",
    "Atlantic/Jan_Mayen", "Australia/ACT", "Australia/Canberra", "Australia/LHI", "Australia/NSW",
    "Australia/North", "Australia/Queensland", "Australia/South", "Australia/Tasmania", "Australia/Victoria",
    "Australia/West", "Australia/Yancowinna", "Pacific/Samoa", "Pacific/Yap", "Pacific/Truk", "Pacific/Ponape",
    "Pacific/Enderbury", "Pacific/Johnston", "Antarctica/South_Pole", "Africa/Asmera", "Africa/Timbuktu",
})
LEGACY_PREFIXES = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/", "posix/", "right/")
REGIONS = {
    "Africa": _("Africa"), "America": _("America"), "Antarctica": _("Antarctica"), "Arctic": _("Arctic"),
    "Asia": _("Asia"), "Atlantic": _("Atlantic"), "Australia": _("Australia"), "Europe": _("Europe"),
    "Indian": _("Indian Ocean"), "Pacific": _("Pacific"),
}
CITY_NAMES = {"Europe/Vienna": _("Vienna"), "Europe/Berlin": _("Berlin"), "Europe/Zurich": _("Zurich")}


def _zone_tab() -> set[str] | None:
    """The canonical zone names (one or more per country) from the tz database's zone.tab, if present."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        if path.is_file():
            rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                    if line and not line.startswith("#"))
            return {row[2].strip() for row in rows if len(row) >= 3}
    return None


@cache
def canonical_timezones() -> frozenset[str]:
    """Region/City names a homeowner picks from: no legacy aliases (US/*, Etc/*, Asia/Calcutta, Europe/Kiev…)."""
    names = {name for name in zoneinfo.available_timezones()
             if "/" in name and not name.startswith(LEGACY_PREFIXES) and name not in LEGACY_ALIASES
             and name.split("/", 1)[0] in REGIONS}
    canonical = _zone_tab()
    if canonical:
        names &= canonical
    return frozenset(names | set(COMMON_TIMEZONES))


def _city(name: str) -> str:
    return " / ".join(part.replace("_", " ") for part in name.split("/")[1:])


def timezone_label(name: str) -> str:
    """A zone as a homeowner reads it: "Wien" for the common ones, else "Lisbon", "Argentina / Buenos Aires"."""
    return str(CITY_NAMES[name]) if name in CITY_NAMES else (_city(name) or name)


def timezone_choices() -> list[Any]:
    """The likely zones first, then the rest grouped by region (for <optgroup>s), labels in the active language."""
    names = canonical_timezones()
    common = [(name, str(CITY_NAMES[name])) for name in COMMON_TIMEZONES]
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(names):
        if name not in COMMON_TIMEZONES:
            groups.setdefault(name.split("/", 1)[0], []).append((name, _city(name)))
    return [(_("Most used"), common), *((str(REGIONS[region]), zones) for region, zones in groups.items())]


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
LANGUAGE_CHOICES = [("", _("Same as my browser")), ("en", "English"), ("de", "Deutsch")]


class SettingsForm(forms.ModelForm):
    """Language, time zone and attention emails: the homeowner's preferences, saved together."""

    language = forms.ChoiceField(
        label=_("Language"), choices=LANGUAGE_CHOICES, required=False,
        help_text=_("The language of these pages and of our emails to you."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=timezone_choices,
        help_text=_("Used for your charge schedules and the times shown on your dashboard."),
    )
    notify_attention = forms.BooleanField(
        label=_("Email me when a device needs attention"), required=False,
        help_text=_("For example when a manufacturer account needs to be reconnected. "
                    "One email per problem, never more."),
    )

    class Meta:
        model = User
        fields = ("language", "timezone", "notify_attention")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.timezone
        if current and current not in canonical_timezones() and current in zoneinfo.available_timezones():
            # An older alias saved before this list: kept selectable, so saving other settings keeps it.
            self.fields["timezone"].choices = [(current, current), *timezone_choices()]

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"]
        if value != self.instance.timezone and value not in canonical_timezones():
            raise forms.ValidationError(_("Choose a time zone from the list."))
        return value


class DeleteAccountForm(forms.Form):
    """Deleting the account asks for the password: a borrowed unlocked phone must not be enough."""

    password = forms.CharField(
        label=_("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password. Please try again."))
        return password


# --- Homeowner: invite someone into the home -------------------------------------------------------
class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Their email address"), max_length=254)
    role = forms.ChoiceField(
        label=_("What they may do"), widget=forms.RadioSelect, initial=Role.VIEWER,
        choices=[(Role.MEMBER, _("Member: sees everything and uses every control")),
                 (Role.VIEWER, _("Viewer: sees everything, changes nothing"))],
    )
