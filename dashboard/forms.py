"""Forms for what a homeowner can change. They validate and keep what was typed; they never call Podero."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dates import WEEKDAYS as DJANGO_WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices.services import WEEKDAYS, ChargePolicy, DayPlan
from devices.services.pauses import CHOICES as PAUSE_CHOICES

# Django's own translated weekday names (0 = Monday), so "Montag" comes from Django's catalogue.
DAY_NAMES = {day: DJANGO_WEEKDAYS[i] for i, day in enumerate(WEEKDAYS)}
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
WEEKEND = ("sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
PERCENT_ERRORS = {
    "required": gettext_lazy("Enter a charge level from 0 to 100."),
    "invalid": gettext_lazy("Enter a whole number from 0 to 100."),
    "min_value": gettext_lazy("The charge level cannot be below 0 %%."),
    "max_value": gettext_lazy("The charge level cannot be above 100 %%."),
}


def parse_hhmm(value: str) -> time:
    match = _HHMM.match((value or "").strip())
    if not match:
        # No "24-hour clock" here: the browser shows the time field in the homeowner's own clock.
        raise ValidationError(_("“%(typed)s” is not a time of day: enter hours 00–23 and minutes 00–59, "
                                "such as 07:00."), code="invalid", params={"typed": value})
    return time(int(match.group(1)), int(match.group(2)))


class ClockInput(forms.TimeInput):
    """<input type="time"> (the browser draws it in the locale's clock), except for a value that is not a
    time: a time field cannot show "25:00" (it would read "--:--" and lose it), so that one comes back
    as a text field holding exactly what was typed, beside its error."""

    input_type = "time"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        shown = context["widget"].get("value")
        if isinstance(shown, str) and shown and not _HHMM.match(shown.strip()):
            context["widget"]["type"] = "text"
            context["widget"]["attrs"].setdefault("inputmode", "numeric")
            context["widget"]["attrs"].setdefault("autocomplete", "off")
        return context


class HHMMField(forms.Field):
    """A "HH:MM" time of day (00:00–23:59). Renders as <input type="time">; the server is strict all the same."""

    widget = ClockInput(format="%H:%M")
    default_error_messages = {"required": gettext_lazy("Enter a time, such as 07:00.")}

    def to_python(self, value: Any) -> time | None:
        if isinstance(value, time):
            return value
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        return parse_hhmm(text[:16])

    def prepare_value(self, value: Any) -> Any:
        return value.strftime("%H:%M") if isinstance(value, time) else value


def percent_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100, error_messages=PERCENT_ERRORS,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}))


class OptimizationForm(forms.Form):
    """Pause (until one of PAUSE_CHOICES; none given = until resumed) or resume."""

    active = forms.TypedChoiceField(choices=[("1", gettext_lazy("resume")), ("0", gettext_lazy("pause"))],
                                    coerce=lambda v: v == "1",
                                    error_messages={"required": gettext_lazy("Choose pause or resume."),
                                                    "invalid_choice": gettext_lazy("Choose pause or resume.")})
    until = forms.ChoiceField(required=False, choices=[(c, c) for c in PAUSE_CHOICES],
                              error_messages={"invalid_choice": gettext_lazy("Choose how long to pause.")})
    # "06.12.2026 18:00" too: where a browser draws datetime-local as a text field, a German types that.
    at = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
                             error_messages={"invalid": gettext_lazy("Enter a date and time, such as "
                                                                     "2026-12-06 18:00.")})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("active") is False and data.get("until") == "at" and not data.get("at"):
            self.add_error("at", _("Enter the date and time to resume."))
        return data


class ChargeDeadlineForm(forms.Form):
    """The daily "ready by" policy on the EV: a minimum level and a time, or off."""

    enabled = forms.TypedChoiceField(choices=[("1", gettext_lazy("on")), ("0", gettext_lazy("off"))],
                                     coerce=lambda v: v == "1", initial="1", widget=forms.HiddenInput,
                                     error_messages={"required": gettext_lazy("Choose on or off.")})
    minimum_charge_limit = percent_field(gettext_lazy("Charge to at least (%)"))
    charge_deadline_at = HHMMField(label=gettext_lazy("Ready by"))

    API_FIELDS = {"minimum_charge_limit": "minimum_charge_limit", "charge_deadline_at": "charge_deadline_at"}

    def __init__(self, *args: Any, device_id: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"deadline-{device_id or 'x'}-%s")
        super().__init__(*args, **kwargs)
        # Turning the policy off needs no level or time.
        if self.is_bound and self.data.get("enabled") == "0":
            self.fields["minimum_charge_limit"].required = False
            self.fields["charge_deadline_at"].required = False

    @classmethod
    def for_device(cls, device: Any) -> ChargeDeadlineForm:
        return cls(device_id=device.id, initial={
            "enabled": "1",
            "minimum_charge_limit": device.minimum_charge_limit if device.minimum_charge_limit is not None else 80,
            "charge_deadline_at": device.charge_deadline or time(7, 0),
        })

    def add_upstream_errors(self, field_errors: dict[str, str]) -> None:
        """Podero's 400/422 field errors next to our fields; the rest at the top of the form."""
        for api_name, message in field_errors.items():
            name = next((f for f, a in self.API_FIELDS.items() if a == api_name), None)
            self.add_error(name, _("Podero: %(message)s") % {"message": message})


class WeeklyScheduleForm(forms.Form):
    """One row per weekday (target % and ready-by time). The times are in the homeowner's time zone, the one
    setting of it (Settings): `zone` is sent to Podero as the policy's time zone, never typed here."""

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        for day in WEEKDAYS:
            self.fields[f"{day}_percentage"] = percent_field(
                _("%(day)s: charge to (%%)") % {"day": DAY_NAMES[day]})
            self.fields[f"{day}_deadline"] = HHMMField(label=_("%(day)s: ready by") % {"day": DAY_NAMES[day]})

    def rows(self) -> list[dict[str, Any]]:
        return [{"day": day, "name": DAY_NAMES[day], "percentage": self[f"{day}_percentage"],
                 "deadline": self[f"{day}_deadline"]} for day in WEEKDAYS]

    @staticmethod
    def initial_from(policy: ChargePolicy | None, *, fallback: DayPlan) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for day in WEEKDAYS:
            plan = policy.days.get(day) if policy else None
            percentage = plan.percentage if plan and plan.percentage is not None else fallback.percentage
            deadline = plan.deadline if plan and plan.deadline is not None else fallback.deadline
            initial[f"{day}_percentage"] = percentage
            initial[f"{day}_deadline"] = deadline.strftime("%H:%M") if deadline else ""
        return initial

    def to_policy(self) -> ChargePolicy:
        data = self.cleaned_data
        return ChargePolicy(
            days={day: DayPlan(percentage=data[f"{day}_percentage"], deadline=data[f"{day}_deadline"])
                  for day in WEEKDAYS},
            timezone=self.zone,
        )

    def add_upstream_errors(self, field_errors: dict[str, str]) -> None:
        for api_name, message in field_errors.items():
            day, _sep, name = api_name.partition(".")
            if day in WEEKDAYS:
                field = f"{day}_deadline" if name == "charge_deadline" else f"{day}_percentage"
            else:  # the time zone too: it is not a field here (Settings holds it)
                field = None
            self.add_error(field, _("Podero: %(message)s") % {"message": message})


# The helper buttons of the schedule form: they change the form, never Podero.
PRESETS = {
    "weekend_lie_in": {"percentage": "60", "deadline": "10:00"},
    "weekend_trip": {"percentage": "100", "deadline": "08:00"},
}


def apply_helper(action: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """`copy_monday` or a weekend preset applied to the typed values; None for an unknown action."""
    data = dict(data)
    if action == "copy_monday":
        for day in WORKDAYS[1:]:
            data[f"{day}_percentage"] = data.get("mon_percentage", "")
            data[f"{day}_deadline"] = data.get("mon_deadline", "")
        return data
    if action in PRESETS:
        for day in WEEKEND:
            data[f"{day}_percentage"] = PRESETS[action]["percentage"]
            data[f"{day}_deadline"] = PRESETS[action]["deadline"]
        return data
    return None
