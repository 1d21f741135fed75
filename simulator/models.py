"""What the simulator stores: organizations, OAuth clients and tokens, users, devices and cues.

Stored are only facts that change by a request (a PUT, a boost, a plug-in). Readings that move with
time (battery level, solar power, temperatures) are computed from these facts and the clock on every
GET (`simulator.physics`), so reads never write and many readers never contend for the database.
Timestamps are set from `simulator.clock`, never `auto_now`, so a frozen clock governs them too.
"""

from __future__ import annotations

import uuid

from django.db import models


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class OAuthClient(models.Model):
    """A partner app registered for the client-credentials grant (secret kept in clear: a simulator)."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=100, unique=True)
    client_secret = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.client_id


class AccessToken(models.Model):
    token = models.CharField(max_length=80, unique=True)
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token for {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class PoderoUser(models.Model):
    """An end user (or staff/admin) of a partner org, as Podero's user resource describes it (§3.7)."""

    ROLES = ("admin", "staff", "user")

    # Unset fields are null in the API (§3.7), not "": nullable CharFields store exactly that.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="users")
    role = models.CharField(max_length=10, default="user")
    email = models.CharField(max_length=254)
    external_user_id = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    last_name = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    street_and_number = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    street_add_info = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    zip_code = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    town = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    country = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_last_updated = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64, default="Europe/Vienna"
    )  # drives the simulated day; not in the API
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "email"])]

    def __str__(self) -> str:
        return self.email


class Device(models.Model):
    """One heat pump, EV or inverter. `attrs`: the API's configured fields; `facts`: simulation state."""

    HEAT_PUMP = "heat_pump"
    ELECTRIC_VEHICLE = "electric_vehicle"
    INVERTER = "inverter"
    KINDS = (HEAT_PUMP, ELECTRIC_VEHICLE, INVERTER)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(PoderoUser, on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(max_length=20, choices=[(k, k) for k in KINDS])
    attrs = models.JSONField(default=dict)
    facts = models.JSONField(default=dict)
    is_authenticated = models.BooleanField(default=True)
    first_data_at = models.DateTimeField(null=True, blank=True)  # statuses read "unknown" before it
    frozen_at = models.DateTimeField(null=True, blank=True)  # set: offline, its state stuck at this instant
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class Cue(models.Model):
    """A pending action on a device (only `reauthenticate` is documented), resolved via /cues/{id}/..."""

    PENDING, IN_PROGRESS, FAILED, DONE = "pending", "in_progress", "failed", "done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="cues")
    code = models.CharField(max_length=40, default="reauthenticate")
    status = models.CharField(max_length=20, default=PENDING)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.code} cue {self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status != self.DONE


class OnboardingSession(models.Model):
    """A device onboarding session (addendum §1b, fact sheet §3.10): the Connect UI link of one user.

    Valid until the end of the next day (`expiration_date`, in the user's time zone); `object_id` is the
    device the Connect UI created, null until then. The redirect targets are stored here, so the Connect
    UI sends the browser only to them, never to a URL found in its own query string.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="onboarding_sessions")
    user = models.ForeignKey(PoderoUser, on_delete=models.CASCADE, related_name="onboarding_sessions")
    language = models.CharField(max_length=2, default="en")
    price_zone_default = models.CharField(max_length=20)
    is_smart_optimization_active_default = models.BooleanField(default=True)
    success_url = models.TextField()
    cancel_url = models.TextField()
    building_id = models.UUIDField(null=True, blank=True)
    device_type = models.CharField(max_length=2, null=True, blank=True)  # noqa: DJ001 - null = "not given"
    expiration_date = models.DateField()
    object_id = models.UUIDField(null=True, blank=True)
    external_metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"onboarding {self.id} for {self.user_id}"
