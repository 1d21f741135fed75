"""Staff accounts sign in through allauth like homeowners (see accounts.admin.admin_login).

A staff account is made by an operator (`createsuperuser`) or by other staff in the admin, for an
address they know: it counts as verified, so mandatory email verification does not lock staff out.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import User


@receiver(post_save, sender=User, dispatch_uid="staff-email-verified")
def staff_email_is_verified(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.is_staff and instance.email and not EmailAddress.objects.filter(user=instance).exists():
        EmailAddress.objects.create(user=instance, email=instance.email, verified=True, primary=True)
