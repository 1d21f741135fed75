"""allauth's emails speak as the partner and in the recipient's language, in our layout (accounts.emails):
the partner's name instead of the request's host, its sender address, a plain-text and an HTML part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import EmailMessage
from django.utils import translation

from .emails import email_build, email_language
from .models import User


@dataclass(frozen=True)
class BrandSite:
    """What allauth's templates read as `current_site`: the partner's name, our host."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        domain = get_current_site(request).domain if request is not None else ""
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        # Rendered below in the recipient's language; the product name and subject prefix follow it too.
        with translation.override(email_language(user, request=request)):
            brand = settings.PARTNER.localized()
            context = {"current_site": BrandSite(name=brand.name, domain=domain), "brand": brand, **context}
            super().send_mail(template_prefix, email, context)

    def render_mail(self, template_prefix: str, email: str | list[str], context: dict[str, Any],
                    headers: dict[str, str] | None = None) -> EmailMessage:
        to = [email] if isinstance(email, str) else email
        return email_build(template_prefix=template_prefix, to=to, context=context,
                           language=translation.get_language() or settings.LANGUAGE_CODE,
                           subject_prefix=self._subject_prefix(), headers=headers)

    def _subject_prefix(self) -> str:
        prefix = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        if prefix is None or prefix == f"{settings.PARTNER.name}: ":  # the derived default: in this language
            return f"{settings.PARTNER.localized().name}: "
        return prefix
