"""Production security: check --deploy, the refusal to start without a key, CSP and other headers,
login rate limits, password rules, mandatory email verification, session expiry, and that the
Podero client secret and access token never reach a page, an error page or a log line."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48)[:50] + "Zz9",
    "DJANGO_ALLOWED_HOSTS": "example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=120,
    )


# --- Deployment checks -------------------------------------------------------------------------------
def test_check_deploy_has_no_warnings_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env={"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "example.com"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_collectstatic_makes_compressed_hashed_files(tmp_path):
    """Production static files: whitenoise's manifest storage (cache-busting names) plus .gz copies."""
    result = _manage("shell", "-c", (
        "from django.conf import settings; from django.core.management import call_command; "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; call_command('collectstatic', '--no-input', '-v', '0'); "
        "from django.templatetags.static import static; print(static('css/app.css'))"
    ), env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("/static/css/app.") and url.endswith(".css") and url != "/static/css/app.css"
    assert (tmp_path / "staticfiles.json").exists()
    assert list((tmp_path / "css").glob("app.*.css.gz")) or list((tmp_path / "css").glob("app.*.css.br"))


# --- Headers ------------------------------------------------------------------------------------------
def _assert_security_headers(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_csp_and_security_headers_on_the_dashboard_and_admin(client, homeowner, podero_fake, django_user_model):
    client.force_login(homeowner)
    for url in (reverse("dashboard:home"), reverse("accounts:settings")):
        response = client.get(url)
        assert response.status_code == 200
        _assert_security_headers(response)
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)
    client.force_login(staff)
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{homeowner.pk}/change/",
                "/admin/podero-health/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_security_headers(response)
    client.logout()
    _assert_security_headers(client.get(reverse("account_login")))


# --- Logins ---------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_login_locks_after_five_wrong_passwords(client, homeowner):
    url = reverse("account_login")
    for _ in range(5):
        assert client.post(url, {"login": homeowner.email, "password": "wrong-password"}).status_code == 200
    response = client.post(url, {"login": homeowner.email, "password": PASSWORD})
    assert response.status_code != 302, "the right password must not get in during the lockout"
    assert "too many" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_rate_limits_are_configured():
    limits = settings.ACCOUNT_RATE_LIMITS
    assert "5/5m/key" in limits["login_failed"]
    assert "signup" in limits and "reset_password" in limits


@pytest.mark.django_db
def test_signup_enforces_password_rules_and_mandatory_email_verification(client):
    url = reverse("account_signup")
    response = client.post(url, {"email": "new@example.com", "password1": "password", "password2": "password"})
    html = response.content.decode().lower()
    assert response.status_code == 200 and ("too common" in html or "too short" in html)
    response = client.post(url, {"email": "new@example.com", "password1": "Lantern-orbit-7731",
                                 "password2": "Lantern-orbit-7731"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1 and "new@example.com" in mail.outbox[0].to
    assert "_auth_user_id" not in client.session  # not logged in before verifying
    response = client.post(reverse("account_login"), {"login": "new@example.com", "password": "Lantern-orbit-7731"})
    assert response["Location"] == reverse("account_email_verification_sent")


@pytest.mark.django_db
def test_session_expiry(client, homeowner):
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY
    client.post(reverse("account_login"), {"login": homeowner.email, "password": PASSWORD})
    assert client.session.get_expire_at_browser_close()  # not remembered: ends with the browser
    client.logout()
    client.post(reverse("account_login"), {"login": homeowner.email, "password": PASSWORD, "remember": "on"})
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_production_cookies_and_redirects_are_secure():
    result = _manage("shell", "-c", (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_PROXY_SSL_HEADER)"
    ), env=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == "True True True True ('HTTP_X_FORWARDED_PROTO', 'https')"


# --- The Podero secret and token never leak ---------------------------------------------------------------
class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from dashboard.logging import KeyValueFormatter
        from dashboard.middleware import RequestIdFilter

        self.setFormatter(KeyValueFormatter())
        self.addFilter(RequestIdFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs():
    handler = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.mark.django_db(transaction=True)
def test_secret_and_token_never_reach_pages_or_logs(client, sim, demo_homeowner, django_user_model, all_logs):
    from devices import podero, services
    from simulator import faults

    client.force_login(demo_homeowner)
    pages = [client.get(reverse("dashboard:home")), client.get(reverse("accounts:settings"))]
    token = podero.get_client().tokens.get()
    assert token and all_logs.lines
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)
    client.force_login(staff)
    pages += [client.get(url) for url in ("/admin/", "/admin/accounts/user/", "/admin/podero-health/",
                                          f"/admin/accounts/user/{demo_homeowner.pk}/change/")]
    # Failures too: an expired token renewed mid-call, and a server error shown as "not reachable".
    refresh = f"/admin/accounts/user/{demo_homeowner.pk}/refresh-devices/"
    faults.configure(expired_token_count=1)
    services.invalidate(link=demo_homeowner.podero)
    pages.append(client.post(refresh, follow=True))
    faults.configure(expired_token_count=0, error_count=9, error_status=503)
    services.invalidate(link=demo_homeowner.podero)
    failed = client.post(refresh, follow=True)
    assert "Podero did not answer" in failed.content.decode()
    pages.append(failed)
    secret = settings.PODERO_CLIENT_SECRET
    assert all(p.status_code == 200 for p in pages)
    health = pages[4].content.decode()
    assert "Access token" in health and "Expires" in health
    new_token = podero.get_client().tokens.get()
    for page in pages:
        html = page.content.decode()
        assert secret not in html and token not in html and new_token not in html
        assert all(secret not in value and token not in value for value in page.headers.values())
    text = "\n".join(all_logs.lines)
    assert "podero_call" in text
    assert secret not in text and token not in text and new_token not in text


def _boom() -> None:
    raise RuntimeError("boom")


def test_debug_error_page_masks_the_podero_secret(rf, settings):
    """The technical 500 page (DEBUG only) lists settings; the secret is masked there."""
    from django.views.debug import technical_500_response

    settings.PODERO_CLIENT_SECRET = "-".join(["s3cr3t", "value", "hidden"])
    try:
        _boom()
    except RuntimeError:
        response = technical_500_response(rf.get("/"), *sys.exc_info())
    html = response.content.decode()
    assert "PODERO_CLIENT_SECRET" in html
    assert settings.PODERO_CLIENT_SECRET not in html
