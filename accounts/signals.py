"""Staff accounts sign in through allauth like homeowners (see accounts.admin.admin_login).

A staff account is made by an operator (`createsuperuser`) or by other staff in the admin, for an
address they know: it counts as verified, so mandatory email verification does not lock staff out.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import user_signed_up
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import translation

from .models import User


@receiver(post_save, sender=User, dispatch_uid="staff-email-verified")
def staff_email_is_verified(sender: type[User], instance: User, **kwargs: Any) -> None:
    if instance.is_staff and instance.email and not EmailAddress.objects.filter(user=instance).exists():
        EmailAddress.objects.create(user=instance, email=instance.email, verified=True, primary=True)


@receiver(user_logged_in, dispatch_uid="accounts.language.adopt_on_login")
def adopt_on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Someone who picked a language on the login page and has none saved keeps it from now on."""
    if request is None or getattr(user, "language", None) != "":
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        user.language = chosen
        user.save(update_fields=["language"])


@receiver(user_signed_up, dispatch_uid="remember-signup-language")
@receiver(user_logged_in, dispatch_uid="remember-browser-language")
def remember_browser_language(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Keep the browser's language of the sign-up and of each sign-in: emails sent
    outside a request (attention emails) use it while the person has not chosen a language."""
    code = translation.get_language()
    if request is None or code not in dict(settings.LANGUAGES) or not isinstance(user, User):
        return
    if user.browser_language != code:
        user.browser_language = code
        User.objects.filter(pk=user.pk).update(browser_language=code)
