"""Homeowner accounts and their link to a Podero user."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who logs in: a homeowner, or partner staff. The email address is the login."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    timezone = models.CharField(
        max_length=64, default="Europe/Vienna", help_text="IANA name; the default for charge schedules."
    )
    language = models.CharField(
        max_length=8, blank=True, default="", choices=settings.LANGUAGES,
        help_text="Empty: the browser's language (Accept-Language).",
    )
    notify_attention = models.BooleanField(
        "email me when a device needs attention", default=True
    )
    browser_language = models.CharField(
        max_length=8, blank=True, default="",
        help_text="The browser's language at sign-up and the last sign-in: the language of emails sent "
                  "outside a request (e.g. attention emails) while `language` is empty.",
    )
    session_generation = models.PositiveIntegerField(
        default=0, help_text="Raised by “Sign out of other sessions”: every session signed in before ends.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = "homeowner"  # the admin lists staff apart (StaffUser)
        ordering = ["email"]
        permissions = [("refresh_devices", "Can refresh a homeowner's devices")]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.first_name or self.email.split("@", 1)[0]

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session check (an HMAC of the password hash), plus the session generation: raising it
        ends every other session as a password change does, whatever the session backend. Generation 0 gives
        Django's own hash, so sessions from before this field stay valid."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.get_session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.session_generation}", secret=secret,
                           algorithm="sha256").hexdigest()


class PoderoLink(models.Model):
    """Which Podero user a homeowner is. The only source of the ids used in upstream paths."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="podero")
    org_id = models.UUIDField("Podero organization id")
    podero_user_id = models.UUIDField("Podero user id")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Podero link"
        constraints = [
            models.UniqueConstraint(fields=["org_id", "podero_user_id"], name="unique_podero_user_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.podero_user_id}"

    @property
    def key(self) -> str:
        """A short stable id for cache keys and logs (no personal data)."""
        return f"{self.org_id}:{self.podero_user_id}"




class Role(models.TextChoices):
    """What a person may do in a home. The owner holds the Podero link; the others are invited by them."""

    OWNER = "owner", _("owner")
    MEMBER = "member", _("member")
    VIEWER = "viewer", _("viewer")


class HouseholdMember(models.Model):
    """A person invited into a homeowner's home: a member (uses every control) or a viewer (read only).

    A person belongs to at most one home, and never to one while holding a Podero link of their own.
    """

    link = models.ForeignKey(PoderoLink, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="household_membership")
    role = models.CharField(max_length=16, choices=[c for c in Role.choices if c[0] != Role.OWNER])
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household member")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.link.user}'s home"


class HouseholdInvite(models.Model):
    """An invitation sent by email. Only a SHA-256 of its random token is stored; it is used once and
    lapses after INVITE_VALID_FOR (accounts.services)."""

    link = models.ForeignKey(PoderoLink, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=[c for c in Role.choices if c[0] != Role.OWNER])
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("household invitation")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role}) invited to {self.link.user}'s home"


class StaffUser(User):
    """Partner staff: the same accounts, listed apart from homeowners in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("partner staff account")
        verbose_name_plural = _("partner staff")
