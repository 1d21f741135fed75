"""Account services: linking a homeowner to a Podero user."""

from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction

from .models import PoderoLink, User


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
