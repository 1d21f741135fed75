"""Items 7 and 10 (secret key): production never serves the simulator unless told to, refuses the demo
secret and short secret keys, and `check --deploy` warns when the simulator is mounted."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PROD = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(48), "DJANGO_ALLOWED_HOSTS": "example.com"}
RESOLVE = ("from django.urls import resolve, Resolver404\n"
           "for path in ('/simulator/_sim/faults', '/simulator/oauth2/token/', '/simulator/_sim/demo'):\n"
           "    try:\n        resolve(path); print('mounted', path)\n"
           "    except Resolver404:\n        print('absent', path)\n")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PODERO_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},  # noqa: S603
                          capture_output=True, text=True, timeout=120)


def test_production_does_not_mount_the_simulator_by_default():
    result = manage("shell", "-c", RESOLVE, **PROD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split().count("absent") == 3 and "mounted" not in result.stdout


def test_production_refuses_the_demo_secret_unless_the_simulator_is_explicitly_on():
    refused = manage("check", **PROD, PODERO_CLIENT_SECRET="demo-dashboard-secret")
    assert refused.returncode != 0 and "public demo secret" in refused.stderr
    demo = manage("check", **PROD, PODERO_CLIENT_SECRET="demo-dashboard-secret", PODERO_SIMULATOR="1")
    assert demo.returncode == 0, demo.stderr


def test_check_deploy_warns_when_the_simulator_is_mounted():
    result = manage("check", "--deploy", **PROD, PODERO_SIMULATOR="1")
    assert "dashboard.W001" in result.stdout + result.stderr
    clean = manage("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert clean.returncode == 0 and "dashboard.W001" not in clean.stdout + clean.stderr


@pytest.mark.parametrize("key", ["x" * 49, "short-but-not-the-dev-key", "a" * 60])
def test_production_refuses_a_weak_secret_key(key):
    result = manage("check", **{**PROD, "DJANGO_SECRET_KEY": key})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is too short" in result.stderr


@pytest.mark.django_db
def test_sim_connect_redirects_only_to_the_urls_of_its_session(sim):
    from simulator import render
    from simulator.models import Device

    device = Device.objects.get(id=sim.second_ev_id)
    from django.conf import settings

    base = settings.PODERO_BASE_URL
    forged = f"{base}/_sim/connect/{device.id}?successUrl=https://evil.example/steal"
    response = requests.get(forged, allow_redirects=False, timeout=10)
    assert response.status_code == 200 and "evil.example" not in response.headers.get("Location", "")

    signed = render.connect_url(base, device, success_url="https://partner.example/back", cancel_url=None)
    response = requests.get(signed + "&successUrl=https://evil.example/steal", allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"] == "https://partner.example/back"

    other = Device.objects.get(id=sim.ev_id)  # a state made for another device is refused
    state = signed.split("state=", 1)[1]
    response = requests.get(f"{base}/_sim/connect/{other.id}?state={state}", allow_redirects=False, timeout=10)
    assert response.status_code == 200
