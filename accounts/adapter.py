"""allauth's emails speak as the partner: its name instead of the request's host, its sender address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site


@dataclass(frozen=True)
class BrandSite:
    """What allauth's templates read as `current_site`: the partner's name, our host."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        domain = get_current_site(request).domain if request is not None else ""
        context = {"current_site": BrandSite(name=settings.PARTNER.name, domain=domain),
                   "brand": settings.PARTNER, **context}
        super().send_mail(template_prefix, email, context)
