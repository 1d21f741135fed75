"""Item 4: behind the TLS proxy every request comes from the proxy's address. With the trusted proxy count
set, per-client login limits key on the forwarded client address; without it the header is ignored."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"


def fail_logins_from(clients: int) -> None:
    """`clients` different people behind the proxy each mistype once (each their own account)."""
    for i in range(clients):
        c = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.{i + 1}")
        c.post(reverse("account_login"), {"login": f"person{i}@example.com", "password": "wrong-password"})


def next_person_is_limited(xff: str) -> bool:
    c = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff)
    response = c.post(reverse("account_login"), {"login": "someone-else@example.com", "password": "whatever"})
    return response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


def test_with_one_trusted_proxy_each_client_has_its_own_limit(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    fail_logins_from(12)  # more than the 10/m/ip limit in total
    assert not next_person_is_limited("203.0.113.50")
    # ... and one client hammering is still limited by its own address.
    for _ in range(11):
        fail_one = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
        fail_one.post(reverse("account_login"), {"login": "x@example.com", "password": "nope-nope"})
    assert next_person_is_limited("203.0.113.66")


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    fail_logins_from(12)
    # Everyone behind the proxy shares its address: a forged X-Forwarded-For does not escape the limit.
    assert next_person_is_limited("203.0.113.50")


def test_the_setting_comes_from_the_environment():
    from django.conf import settings

    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT
