"""What we store ourselves: the audit log of homeowner actions, daily consumption snapshots, attention
notices, device onboardings and the timed ends of pauses ("Pause until…").

Device state is never stored here: it belongs to Podero and lives in the cache.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One attempted change: who, when, on which device, what was sent, and what Podero said."""

    class Outcome(models.TextChoices):
        OK = "ok", "succeeded"
        REFUSED = "refused", "refused (not the homeowner's device)"
        INVALID = "invalid", "invalid input"
        CONFLICT = "conflict", "nothing to do (409)"
        RATE_LIMITED = "rate_limited", "rate limited"
        FAILED = "failed", "failed upstream"
        UNKNOWN = "unknown", "outcome unknown (no answer; being checked)"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # SET_NULL + a copy of the email: unlinking or deleting a homeowner keeps their history.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="audit_entries")
    user_email = models.EmailField(blank=True)
    # The person who acted: the homeowner, a member of their household, or partner staff (view as
    # homeowner). `user` above is whose home it is.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="audit_actions")
    actor_email = models.EmailField(blank=True)
    podero_user_id = models.UUIDField(null=True, blank=True)
    device_kind = models.CharField(max_length=32)
    device_id = models.CharField(max_length=64, db_index=True)
    device_name = models.CharField(max_length=200, blank=True, help_text="as Podero named it at the time")
    action = models.CharField(max_length=48, db_index=True)
    values = models.JSONField(default=dict, blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, db_index=True)
    error = models.TextField(blank=True)
    # A write that got no answer is recorded as `unknown`, then resolved by re-reading the device:
    # the outcome becomes ok or failed and this is when that was established.
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_email} {self.action} {self.outcome}"

    @property
    def action_label(self) -> str:
        """What was done, in plain words: "Paused optimization", "Set the charge deadline: 80 % by 07:00"."""
        values = self.values if isinstance(self.values, dict) else {}
        if self.action == "optimization_set" and "is_smart_optimization_active" in values:
            return str(_("Resumed optimization") if values["is_smart_optimization_active"] else _("Paused optimization"))
        if self.action == "charge_deadline_set" and values.get("is_charge_policy_enabled") is False:
            return str(_("Turned the charge deadline off"))
        if self.action == "charge_deadline_set" and values.get("minimum_charge_limit") is not None:
            return str(_("Set the charge deadline: %(level)s %% by %(time)s")
                       % {"level": values["minimum_charge_limit"], "time": values.get("charge_deadline_at", "?")})
        label = ACTION_LABELS.get(self.action)
        return str(label) if label else self.action.replace("_", " ").capitalize()

    @property
    def kind_label(self) -> str:
        label = DEVICE_KIND_LABELS.get(self.device_kind)
        return str(label) if label else self.device_kind.replace("-", " ")

    @property
    def device_label(self) -> str:
        """The device as people know it: its name, else its kind and the start of its id."""
        if self.device_name:
            return self.device_name
        if not self.device_id:
            return ""
        return f"{self.kind_label} {self.device_id[:8]}…"


ACTION_LABELS = {
    "optimization_set": _("Changed optimization"),
    "boost_start": _("Charge now"),
    "boost_cancel": _("Cancelled Charge now"),
    "charge_deadline_set": _("Changed the charge deadline"),
    "charge_policy_set": _("Saved the weekly charging schedule"),
    "reconnect": _("Opened the manufacturer's sign-in (reconnect)"),
    "view_as_homeowner": _("Viewed the dashboard as the homeowner (support)"),
}
DEVICE_KIND_LABELS = {
    "heat-pumps": _("heat pump"), "electric-vehicles": _("electric vehicle"), "inverters": _("solar inverter"),
}


class ConsumptionSnapshot(models.Model):
    """A device's consumption figures as Podero reported them on a day: the basis of history charts."""

    day = models.DateField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="consumption_snapshots")
    podero_user_id = models.UUIDField()
    device_kind = models.CharField(max_length=32)
    device_id = models.UUIDField()
    device_name = models.CharField(max_length=200, blank=True)
    last_day_kwh = models.FloatField(null=True, blank=True)
    last_week_kwh = models.FloatField(null=True, blank=True)
    last_month_kwh = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "device_kind"]
        constraints = [models.UniqueConstraint(fields=["day", "device_id"], name="one_snapshot_per_device_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.device_name or self.device_id}"


class AttentionNotice(models.Model):
    """One email sent about one incident: a device needing attention for one reason.

    The incident is the device id plus what is wrong (the pending action codes and whether the
    manufacturer link lapsed). It stays open until the device no longer needs attention; the same
    problem coming back later is a new incident and gets a new email.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="attention_notices")
    device_kind = models.CharField(max_length=32)
    device_id = models.CharField(max_length=64)
    incident = models.CharField(max_length=200, help_text="e.g. 'auth=lapsed;actions=reauthenticate'")
    sent_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id", "incident"],
                                    condition=models.Q(resolved_at__isnull=True),
                                    name="one_open_notice_per_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M} {self.device_id} {self.incident}"



class DeviceOnboarding(models.Model):
    """A homeowner's "Add a device": our handle (`ref`, in our URLs) on one Podero onboarding session.

    Remembered server-side so the return page polls only the homeowner's own session: `ref` is looked up
    together with the user, and Podero's session id never comes from the browser.
    """

    class State(models.TextChoices):
        STARTING = "starting", "starting (Podero not answered yet)"
        WAITING = "waiting", "waiting for the homeowner to finish"
        DONE = "done", "device added"
        CANCELLED = "cancelled", "cancelled or not successful"
        EXPIRED = "expired", "expired"
        FAILED = "failed", "could not be started"

    ref = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="onboardings")
    podero_user_id = models.UUIDField()
    onboarding_id = models.UUIDField(null=True, blank=True, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.STARTING)
    expires_on = models.DateField(null=True, blank=True)
    device_kind = models.CharField(max_length=32, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} onboarding {self.ref} ({self.state})"


class ScheduledResume(models.Model):
    """"Pause optimization until …": the resume is ours to carry out (Podero has no timed pause).

    One pending row per device at most. The beat job `devices.tasks.resume_due_pauses` takes due rows
    with SELECT … FOR UPDATE SKIP LOCKED, so two racing runs never resume the same device twice; a failed
    resume stays pending with a later `next_attempt_at` (never dropped) and the card says so. A manual
    resume, a new pause or "indefinitely" cancels the pending row.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "resumed"
        CANCELLED = "cancelled", "cancelled (resumed by hand, paused again or device gone)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduled_resumes")
    org_id = models.UUIDField()
    podero_user_id = models.UUIDField()
    device_kind = models.CharField(max_length=32)  # the API kind: heat-pumps | electric-vehicles | inverters
    device_id = models.CharField(max_length=64)
    resume_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)  # resume_at, then later after each failure
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["resume_at"]
        constraints = [
            models.UniqueConstraint(fields=["device_id"], condition=models.Q(status="pending"),
                                    name="one_pending_resume_per_device"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="resume_due_idx")]

    def __str__(self) -> str:
        return f"{self.device_kind} {self.device_id} at {self.resume_at:%Y-%m-%d %H:%M} ({self.status})"
