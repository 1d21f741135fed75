"""The partner's brand: colours checked for WCAG AA, name/logo/links in pages and emails, CSS under our CSP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.core import mail
from django.core.checks import run_checks
from django.test import Client

from dashboard import branding
from dashboard.branding import Brand, contrast, from_env

ROOT = Path(__file__).resolve().parents[2]
ACME = Brand(name="Stadtwerke Beispiel", logo_url="/static/favicon.svg", primary="#1a4f8b", accent="#c2410c",
             support_email="hilfe@stadtwerke.example", support_phone="+43 1 234 56 78",
             support_url="https://stadtwerke.example/hilfe", imprint_url="https://stadtwerke.example/impressum",
             privacy_url="https://stadtwerke.example/datenschutz")


def brand_of(monkeypatch, **values: str) -> Brand:
    for key in [k for k in os.environ if k.startswith("PARTNER_")]:
        monkeypatch.delenv(key)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return from_env(environ.Env())


def test_contrast_follows_wcag():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    assert contrast("#0b6b4d", "#ffffff") >= 4.5  # our default passes


def test_without_settings_the_neutral_default(monkeypatch):
    brand = brand_of(monkeypatch)
    assert (brand.name, brand.primary, brand.accent, brand.logo_url) == ("Home energy", "#0b6b4d", "#0b6b4d", "")
    assert brand.problems == () and not brand.custom_colors and not brand.has_support


def test_a_primary_that_fails_with_white_text_falls_back_with_a_warning(monkeypatch):
    brand = brand_of(monkeypatch, PARTNER_PRIMARY_COLOR="#ffd400", PARTNER_ACCENT_COLOR="#f4f4f4")
    assert brand.primary == "#0b6b4d" and brand.accent == "#0b6b4d"
    assert len(brand.problems) == 2
    assert "PARTNER_PRIMARY_COLOR=#ffd400" in brand.problems[0] and "4.5:1" in brand.problems[0]
    assert "PARTNER_ACCENT_COLOR=#f4f4f4" in brand.problems[1] and "3.0:1" in brand.problems[1]


@pytest.mark.parametrize("value", ["blue", "#12345", "rgb(0,0,0)", "#gggggg"])
def test_a_colour_that_is_not_hex_falls_back(monkeypatch, value):
    brand = brand_of(monkeypatch, PARTNER_PRIMARY_COLOR=value)
    assert brand.primary == "#0b6b4d" and "is not a colour" in brand.problems[0]


def test_a_colour_just_passing_is_kept(monkeypatch):
    brand = brand_of(monkeypatch, PARTNER_PRIMARY_COLOR="#767676", PARTNER_ACCENT_COLOR="#949494")  # 4.54:1, 3.03:1
    assert (brand.primary, brand.accent, brand.problems) == ("#767676", "#949494", ())


def test_a_colour_just_failing_falls_back(monkeypatch):
    brand = brand_of(monkeypatch, PARTNER_PRIMARY_COLOR="#777777", PARTNER_ACCENT_COLOR="#959595")  # 4.48:1, 2.99:1
    assert (brand.primary, brand.accent, len(brand.problems)) == ("#0b6b4d", "#0b6b4d", 2)


def test_dark_mode_variants_pass_on_the_dark_surface():
    css = ACME.css()
    dark = css.split("prefers-color-scheme: dark")[1]
    values = dict(part.split(":", 1) for part in dark.strip("){}\n :root{").split(";") if ":" in part)
    assert contrast(values["--accent-text"], branding.DARK_SURFACE) >= 4.5
    assert contrast(values["--on-accent"], values["--accent"]) >= 4.5
    assert contrast(values["--brand-accent"], branding.DARK_SURFACE) >= 3.0
    assert "--accent:#1a4f8b" in css and "--brand-accent:#c2410c" in css


def test_links_must_be_urls(monkeypatch):
    brand = brand_of(monkeypatch, PARTNER_IMPRINT_URL="javascript:alert(1)", PARTNER_PRIVACY_URL="https://p.example/d")
    assert brand.imprint_url == "" and brand.privacy_url == "https://p.example/d"
    assert "PARTNER_IMPRINT_URL" in brand.problems[0]


def test_a_refused_colour_is_a_system_check_warning(settings, monkeypatch):
    settings.PARTNER = brand_of(monkeypatch, PARTNER_PRIMARY_COLOR="#ffff00")
    warnings = [m for m in run_checks() if m.id == "dashboard.W002"]
    assert len(warnings) == 1 and "#ffff00" in warnings[0].msg


@pytest.mark.django_db
def test_pages_carry_the_partner_name_logo_colours_and_legal_links(settings, client: Client):
    settings.PARTNER = ACME
    html = client.get("/accounts/login/").content.decode()
    assert "<title>" in html and "· Stadtwerke Beispiel</title>" in html
    assert 'class="brand__logo" src="/static/favicon.svg"' in html and "<span>Stadtwerke Beispiel</span>" in html
    assert "Home energy" not in html
    assert f'/brand.css?v={ACME.css_version}' in html
    for text in ("mailto:hilfe@stadtwerke.example", 'href="tel:+4312345678"', "https://stadtwerke.example/impressum",
                 "https://stadtwerke.example/datenschutz", ">Imprint<", ">Privacy<"):
        assert text in html, text
    css = client.get("/brand.css")
    assert css["Content-Type"].startswith("text/css") and "--accent:#1a4f8b" in css.content.decode()
    assert "public" in css["Cache-Control"]


@pytest.mark.django_db
def test_the_default_brand_adds_no_stylesheet_and_no_legal_nav(client: Client):
    html = client.get("/accounts/login/").content.decode()
    assert "brand.css" not in html and "site-footer__legal" not in html
    assert "<span>Home energy</span>" in html


@pytest.mark.django_db
def test_allauth_emails_speak_as_the_partner(settings, client: Client):
    settings.PARTNER = ACME
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "Stadtwerke Beispiel: "
    settings.DEFAULT_FROM_EMAIL = '"Stadtwerke Beispiel" <no-reply@stadtwerke.example>'
    client.get("/accounts/signup/")
    response = client.post("/accounts/signup/", {"email": "neu@example.com", "password1": "a-Long-passw0rd-here",
                                                 "password2": "a-Long-passw0rd-here"})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.subject.startswith("Stadtwerke Beispiel: ")
    assert message.from_email == '"Stadtwerke Beispiel" <no-reply@stadtwerke.example>'
    assert "Stadtwerke Beispiel" in message.body and "testserver" not in message.subject


def run_settings(env: dict[str, str], code: str) -> str:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PARTNER_")} | env | {
        "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
                          cwd=ROOT, env=full, capture_output=True, text=True, check=True).stdout.strip()


def test_a_logo_on_another_host_is_allowed_by_the_csp_and_the_sender_gets_the_name():
    out = run_settings({"PARTNER_NAME": "Energie Nord", "PARTNER_LOGO_URL": "https://cdn.energie-nord.example/logo.svg",
                        "DEFAULT_FROM_EMAIL": "kundenservice@energie-nord.example"},
                       "print(settings.SECURE_CSP['img-src']); print(settings.DEFAULT_FROM_EMAIL); "
                       "print(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)")
    csp, sender, prefix = out.splitlines()
    assert "https://cdn.energie-nord.example" in csp
    assert sender == '"Energie Nord" <kundenservice@energie-nord.example>'
    assert prefix == "Energie Nord:"
