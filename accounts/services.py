"""Account services: linking a homeowner to a Podero user, and who else shares their home."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from .emails import email_language, email_send
from .models import HouseholdInvite, HouseholdMember, PoderoLink, Role, User


class LinkError(ValueError):
    """A link request that cannot be carried out; the message is for the operator."""


def parse_uuid(value: str, *, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError) as exc:
        raise LinkError(f"{what} {value!r} is not a valid UUID (expected e.g. 497f6eca-6276-4993-bfeb-53cbbbba6f08).") from exc


@transaction.atomic
def homeowner_link(*, email: str, podero_user_id: str | uuid.UUID, org_id: str | uuid.UUID | None = None,
                   password: str | None = None, first_name: str = "", last_name: str = "") -> tuple[User, bool]:
    """Create or update a homeowner and link them to a Podero user. Returns (user, created)."""
    user_uuid = parse_uuid(str(podero_user_id), what="Podero user id")
    org_uuid = parse_uuid(str(org_id or settings.PODERO_ORG_ID), what="Organization id")
    email = email.strip().lower()
    if "@" not in email:
        raise LinkError(f"{email!r} is not an email address.")
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        if not password:
            raise LinkError(f"No account with the email {email} exists; give --password to create one.")
        user = User.objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    else:
        if password and not user.check_password(password):
            # Only a new password changes the hash: the same one again must not sign the person out everywhere.
            user.set_password(password)
        if first_name:
            user.first_name = first_name
        if last_name:
            user.last_name = last_name
        user.save()
    taken = PoderoLink.objects.filter(org_id=org_uuid, podero_user_id=user_uuid).exclude(user=user).first()
    if taken:
        raise LinkError(f"Podero user {user_uuid} is already linked to {taken.user.email}.")
    PoderoLink.objects.update_or_create(user=user, defaults={"org_id": org_uuid, "podero_user_id": user_uuid})
    # A homeowner created by staff has a known address: don't make them verify it again.
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user, created


# --- Households: who may see and steer a home -----------------------------------------------------
INVITE_VALID_FOR = timedelta(days=7)
INVITES_PER_DAY = 20  # invitations one home may send in 24 hours: a household, not a mailing list


@dataclass(frozen=True)
class HouseholdAccess:
    """A signed-in person's way into a home: the home's Podero link (always the owner's) and their role."""

    link: PoderoLink
    role: str  # Role.OWNER, Role.MEMBER or Role.VIEWER

    @property
    def can_control(self) -> bool:
        """Uses the device controls (pause, Charge now, deadline, schedule, reconnect)."""
        return self.role in (Role.OWNER, Role.MEMBER)

    @property
    def can_manage(self) -> bool:
        """Invites and removes people, adds and removes devices."""
        return self.role == Role.OWNER


def _own_link(user: Any) -> PoderoLink | None:
    """The person's own Podero link: from the user object when the request loaded it with the user
    (accounts.backends), else from the database. A link not found there is looked up again, never trusted
    from an object that may have been loaded before the link was made."""
    field = PoderoLink._meta.get_field("user").remote_field
    if field.is_cached(user) and field.get_cached_value(user) is not None:
        return user.podero
    return PoderoLink.objects.select_related("user").filter(user=user).first()


def household_access(user: Any, *, control: bool = False, manage: bool = False) -> HouseholdAccess | None:
    """THE access check of the homeowner pages: which home this signed-in person sees, and as whom.

    The owner's own Podero link comes first; else the home they were invited into. None: no home.
    `control=True` (every device control and write) refuses a viewer, `manage=True` (invites, removing
    devices) anyone but the owner, with PermissionDenied (403) before anything is sent upstream.
    The ids used upstream always come from here, never from the request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    link = _own_link(user)
    if link is not None:
        access = HouseholdAccess(link=link, role=Role.OWNER)
    else:
        member = HouseholdMember.objects.select_related("link", "link__user").filter(user=user).first()
        if member is None or not member.link.user.is_active:
            return None
        access = HouseholdAccess(link=member.link, role=member.role)
    if (control and not access.can_control) or (manage and not access.can_manage):
        raise PermissionDenied("read-only household role")
    return access


class InviteError(ValueError):
    """An invitation that cannot be used; the message is for the person holding it."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "backslashreplace")).hexdigest()


def household_invite_create(*, owner: User, email: str, role: str) -> tuple[HouseholdInvite, str]:
    """Create an invitation into the owner's home. Returns (invite, token); only the token's hash is kept."""
    access = household_access(owner, manage=True)
    if access is None:
        raise PermissionDenied("not a homeowner")
    if role not in (Role.MEMBER, Role.VIEWER):
        raise InviteError(gettext("Choose member or viewer."))
    email = email.strip().lower()
    if email == owner.email.lower():
        raise InviteError(gettext("That is your own address."))
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and (PoderoLink.objects.filter(user=existing).exists()
                                 or HouseholdMember.objects.filter(user=existing).exists()):
        raise InviteError(gettext("This person already belongs to a home."))
    now = timezone.now()
    if HouseholdInvite.objects.filter(link=access.link, created_at__gt=now - timedelta(days=1)).count() \
            >= INVITES_PER_DAY:
        raise InviteError(gettext("You have sent many invitations today. Please try again tomorrow."))
    # A new invitation to the same address replaces the open one: only the newest link works.
    HouseholdInvite.objects.filter(link=access.link, email=email, accepted_at__isnull=True,
                                   revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invite = HouseholdInvite.objects.create(link=access.link, email=email, role=role, token_hash=_token_hash(token),
                                            invited_by=owner, created_at=now, expires_at=now + INVITE_VALID_FOR)
    return invite, token


def household_invite_send(*, invite: HouseholdInvite, token: str, owner: User, request: Any = None) -> None:
    """Email the invitation link, in the invitee's language when they have an account, else the owner's."""
    invitee = User.objects.filter(email__iexact=invite.email).first()
    context = {"invite": invite, "owner": owner, "days": INVITE_VALID_FOR.days,
               "url": f"{settings.DASHBOARD_URL}{reverse('accounts:household-join', args=[token])}"}
    email_send(template_prefix="accounts/email/invite", to=invite.email, context=context,
               language=email_language(invitee, request=request))


def household_invite_find(token: str) -> HouseholdInvite:
    """The usable invitation behind a token, or InviteError saying why not (unknown, used, revoked, expired)."""
    invite = HouseholdInvite.objects.select_related("link", "link__user").filter(
        token_hash=_token_hash(token)).first()
    if invite is None:
        raise InviteError(gettext("This invitation link is not valid. Ask for a new one."))
    if invite.accepted_at is not None:
        raise InviteError(gettext("This invitation has already been used. Ask for a new one if you need it."))
    if invite.revoked_at is not None:
        raise InviteError(gettext("This invitation was withdrawn."))
    if timezone.now() >= invite.expires_at:
        raise InviteError(gettext("This invitation has expired. Ask for a new one."))
    return invite


@transaction.atomic
def household_invite_accept(*, token: str, user: User) -> HouseholdMember:
    """Join the home with the invitation's role. Single use: the row is locked and marked used."""
    invite = household_invite_find(token)
    invite = HouseholdInvite.objects.select_for_update().get(pk=invite.pk)
    if invite.accepted_at is not None:  # accepted by a concurrent request a moment ago
        raise InviteError(gettext("This invitation has already been used. Ask for a new one if you need it."))
    if user.email.lower() != invite.email.lower():
        raise InviteError(gettext("This invitation was sent to another email address. Sign in with the address "
                                  "it was sent to."))
    if PoderoLink.objects.filter(user=user).exists() or HouseholdMember.objects.filter(user=user).exists():
        raise InviteError(gettext("Your account already belongs to a home."))
    member = HouseholdMember.objects.create(link=invite.link, user=user, role=invite.role,
                                            invited_by=invite.invited_by)
    invite.accepted_at = timezone.now()
    invite.accepted_by = user
    invite.save(update_fields=["accepted_at", "accepted_by"])
    return member


def household_member_remove(*, owner: User, member_id: int) -> HouseholdMember:
    """The owner removes someone from their home (another home's member id is a 404)."""
    access = household_access(owner, manage=True)
    if access is None:
        raise PermissionDenied("not a homeowner")
    member = HouseholdMember.objects.select_related("user").filter(link=access.link, pk=member_id).first()
    if member is None:
        raise Http404("no such member")
    member.delete()
    return member


def household_invite_revoke(*, owner: User, invite_id: int) -> HouseholdInvite:
    access = household_access(owner, manage=True)
    if access is None:
        raise PermissionDenied("not a homeowner")
    invite = HouseholdInvite.objects.filter(link=access.link, pk=invite_id, accepted_at__isnull=True,
                                            revoked_at__isnull=True).first()
    if invite is None:
        raise Http404("no such invitation")
    invite.revoked_at = timezone.now()
    invite.save(update_fields=["revoked_at"])
    return invite


def household_of(link: PoderoLink) -> dict[str, Any]:
    """Who shares this home: its members and the invitations still open (for settings and admin)."""
    now = timezone.now()
    return {
        "members": list(HouseholdMember.objects.filter(link=link).select_related("user")),
        "invites": list(HouseholdInvite.objects.filter(link=link, accepted_at__isnull=True, revoked_at__isnull=True,
                                                       expires_at__gt=now)),
    }


# --- The account itself: email addresses, sessions, deletion -------------------------------------
def account_emails(user: User) -> dict[str, Any]:
    """The address in use and, during a change, the new one still waiting for its confirmation link."""
    rows = list(EmailAddress.objects.filter(user=user))
    current = next((row for row in rows if row.primary), None)
    pending = next((row for row in rows if not row.verified and row is not current), None)
    return {"current": current.email if current else user.email, "pending": pending.email if pending else ""}


def account_end_other_sessions(*, request: Any, user: User) -> None:
    """End every session of this person but the one of `request`, whatever the session backend: a new
    session generation changes the hash that each session carries (User._get_session_auth_hash), so
    Django ends the others on their next request; this one gets the new hash."""
    User.objects.filter(pk=user.pk).update(session_generation=models.F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    update_session_auth_hash(request, user)


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete a homeowner's account. The audit log keeps its rows (the user becomes NULL, the email copied
    into each row stays); their Podero link goes, and with it the household: members and viewers keep
    their own accounts but no longer see the home, open invitations stop working."""
    from devices.models import AuditEntry

    AuditEntry.objects.filter(user=user, user_email="").update(user_email=user.email)
    AuditEntry.objects.filter(actor=user, actor_email="").update(actor_email=user.email)
    user.delete()
