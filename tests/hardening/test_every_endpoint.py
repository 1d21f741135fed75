"""Suite-wide checks over every route a homeowner or staff can reach (the list is tests/endpoints.py):

* every POST refuses a request without the CSRF token (form and htmx), and nothing reaches Podero;
* each route accepts exactly the methods the list says (any other is a 405);
* no page or partial ever shows the Podero client secret, the access token or a cue's signed secret;
* the list is complete: a route of ours that is not in it fails the suite.
"""

from __future__ import annotations

import re
from datetime import UTC
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from devices import podero
from devices.models import AuditEntry, DeviceOnboarding
from tests.conftest import PASSWORD
from tests.endpoints import (
    ANYONE,
    ENDPOINTS,
    HOMEOWNER,
    PAGES,
    POSTS,
    STAFF,
    Endpoint,
    is_ours,
    our_routes,
    walk,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
CSRF_FAILED = b"CSRF verification failed"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db, django_user_model):
    return django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)


@pytest.fixture
def world(home, staff) -> SimpleNamespace:
    """The ids the list's URLs are built from: the `home` fixture's own devices and an audit row of theirs."""
    entry = AuditEntry.objects.create(user=home.user, user_email=home.user.email, action="boost_start",
                                      device_kind="electric-vehicles", device_id=home.ev["id"], outcome="ok")
    return SimpleNamespace(hp=home.hp["id"], ev=home.ev["id"], inverter=home.inverter["id"],
                           homeowner_pk=home.user.pk, audit_pk=entry.pk, onboarding_ref=_onboarding(home.user),
                           session_day="2026-01-01", session_id="none",  # only POSTed to (405)
                           staff_pk=staff.pk, resume_pk=_resume(home.user, home.hp["id"]), **_household(home.user))


def _a_session(user, ev: str) -> dict[str, str]:
    """The demo car's latest charging session, as its detail page is addressed."""
    from datetime import timedelta

    from django.utils import timezone

    from devices.services import history

    today = timezone.now().date()
    page = history.ev_sessions(link=user.podero, device_id=ev, first_day=today - timedelta(days=30),
                               last_day=today, limit=1, offset=0).value
    session = page.items[0]
    return {"session_day": session.plug_in.astimezone(UTC).date().isoformat(), "session_id": session.id}


def _household(owner) -> dict:
    """A member of this homeowner's home and an open invitation (its token is the emailed link's)."""
    from accounts.models import HouseholdMember, User
    from accounts.services import household_invite_create

    member = User.objects.create_user(email="member@example.com", password=PASSWORD)
    row = HouseholdMember.objects.create(link=owner.podero, user=member, role="member")
    invite, token = household_invite_create(owner=owner, email="invitee@example.com", role="viewer")
    return {"member_pk": row.pk, "invite_pk": invite.pk, "invite_token": token}


def _onboarding(user) -> str:
    """A finished (expired) "Add a device" session of this homeowner: its pages need no upstream call."""
    return str(DeviceOnboarding.objects.create(user=user, podero_user_id=user.podero.podero_user_id,
                                               state=DeviceOnboarding.State.EXPIRED).ref)


def _resume(user, device_id: str) -> int:
    """A timed resume of this homeowner's that is already over (the beat job has nothing to do with it)."""
    from django.utils import timezone

    from devices.models import ScheduledResume

    now = timezone.now()
    return ScheduledResume.objects.create(
        user=user, org_id=user.podero.org_id, podero_user_id=user.podero.podero_user_id, device_kind="heat-pumps",
        device_id=device_id, resume_at=now, next_attempt_at=now, status=ScheduledResume.Status.DONE,
        finished_at=now).pk


def _login(client: Client, endpoint: Endpoint, homeowner, staff) -> Client:
    if endpoint.who == HOMEOWNER:
        client.force_login(homeowner)
    elif endpoint.who == STAFF:
        client.force_login(staff)
    return client


# --- CSRF on every POST ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", POSTS, ids=lambda e: e.id)
def test_every_post_needs_the_csrf_token(endpoint, home, world, staff):
    strict = _login(Client(enforce_csrf_checks=True), endpoint, home.user, staff)
    # The browser has the CSRF cookie (as a victim's would): only the token in the request is missing.
    strict.get({HOMEOWNER: "/settings/", STAFF: "/admin/", ANYONE: "/accounts/login/"}[endpoint.who])
    assert "csrftoken" in strict.cookies
    target = endpoint.url(world)
    for headers in ({}, HTMX, {**HTMX, "HTTP_X_CSRFTOKEN": "forged" * 6}):
        response = strict.post(target, endpoint.data, **headers)
        assert response.status_code == 403, (target, headers, response.status_code)
        assert CSRF_FAILED in response.content, (target, headers)
    assert home.fake.calls == [], "a refused POST must not reach Podero"


# --- Each route accepts only its methods ---------------------------------------------------------------
SINGLE_METHOD = [e for e in ENDPOINTS if set(e.methods) != {"GET", "POST"}]


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", SINGLE_METHOD, ids=lambda e: e.id)
def test_a_route_refuses_the_methods_it_is_not_listed_with(endpoint, home, world, staff):
    client = _login(Client(), endpoint, home.user, staff)
    target = endpoint.url(world)
    for method in {"GET", "POST"} - set(endpoint.methods):
        send = client.get if method == "GET" else client.post
        response = send(target, {} if method == "GET" else endpoint.data)
        assert response.status_code == 405, (method, target, response.status_code)
    assert home.writes() == []


# --- The list is complete --------------------------------------------------------------------------------
def test_every_route_of_ours_is_in_the_list():
    listed = {e.name for e in ENDPOINTS}
    routes = our_routes()
    found = {route.name for route in routes}
    # The walk reaches all three places our views live, and nothing of the simulator or allauth.
    assert {"dashboard:ev-boost", "dashboard:ev-deadline", "accounts:settings", "admin:podero_health",
            "admin:accounts_user_refresh_devices"} <= found
    assert not any(r.pattern.startswith(("simulator/", "accounts/")) for r in routes)
    missing = sorted(f"{r.name or '(unnamed)'} ({r.pattern}, {r.module})"
                     for r in routes if r.name not in listed)
    assert not missing, f"routes missing from tests/endpoints.py (add them with their methods): {missing}"
    assert listed - {r.name for r in walk()} == set(), "tests/endpoints.py lists routes that do not exist"


def _view(request):
    return HttpResponse("")


def test_the_walk_finds_a_new_route_in_any_namespace_of_ours():
    patterns = [
        path("", include(([path("devices/<uuid:id>/new-write", _view, name="new-write")], "dashboard"))),
        path("settings/", include(([path("export", _view, name="export")], "accounts"))),
        path("elsewhere/", include(([path("thing", _view, name="thing")], "other"))),
    ]
    routes = {r.name: r for r in walk(patterns)}
    assert set(routes) == {"dashboard:new-write", "accounts:export", "other:thing"}
    assert is_ours(routes["dashboard:new-write"]) and is_ours(routes["accounts:export"])
    assert not is_ours(routes["other:thing"])  # another namespace, and a view outside our packages


# --- No secret or token on any page or partial ---------------------------------------------------------
def _secrets_in(value) -> set[str]:
    return set(re.findall(r"secret=([^&\"'\s<>]+)", repr(value)))


@pytest.mark.django_db(transaction=True)
def test_no_page_or_partial_shows_a_secret_or_token(sim, demo_homeowner, django_user_model):
    from django.conf import settings

    from simulator import clock, factories
    from simulator.models import Device

    clock.freeze()  # the cue's signed secret carries its issue time: one secret for the whole test
    factories.require_reauth(Device.objects.get(id=sim.ev_id))
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password=PASSWORD)
    homeowner = Client()
    homeowner.force_login(demo_homeowner)
    assert homeowner.get("/").status_code == 200
    # A real reconnect first: its audit row is on the staff pages.
    reconnect = homeowner.post(f"/devices/electric-vehicle/{sim.ev_id}/reconnect", {"action": "0"})
    assert reconnect.status_code == 200
    world = SimpleNamespace(hp=sim.heat_pump_id, ev=sim.ev_id, inverter=sim.inverter_id,
                            homeowner_pk=demo_homeowner.pk, audit_pk=AuditEntry.objects.latest("id").pk,
                            onboarding_ref=_onboarding(demo_homeowner), staff_pk=staff.pk,
                            resume_pk=_resume(demo_homeowner, sim.heat_pump_id),
                            **_household(demo_homeowner), **_a_session(demo_homeowner, sim.ev_id))
    staff_client, anonymous = Client(), Client()
    staff_client.force_login(staff)
    clients = {HOMEOWNER: homeowner, STAFF: staff_client, ANYONE: anonymous}

    pages: list[tuple[str, HttpResponse]] = []
    for endpoint in PAGES:
        target = endpoint.url(world)
        for headers in ({}, HTMX) if endpoint.htmx else ({},):
            response = clients[endpoint.who].get(target, **headers)
            expected = (403,) if endpoint.refused else (200, 204, 286, 301, 302)
            assert response.status_code in expected, (target, headers, response.status_code)
            pages.append((f"{target} {headers}", response))
    assert len(pages) >= len(PAGES)

    client = podero.get_client()
    token_entry = cache.get(client.tokens.cache_key)
    tokens = {client.tokens.get(), token_entry["token"]}
    raw = client.list_devices(org_id=sim.org_id, user_id=sim.user_id, kind="electric-vehicles")
    cue_secrets = _secrets_in(raw)
    assert cue_secrets, "the reauthentication action carries a signed secret"
    forbidden = {settings.PODERO_CLIENT_SECRET, *tokens, *cue_secrets,
                 *(s.split(".", 1)[-1] for s in cue_secrets)}  # the signature alone is secret too
    assert all(len(value) >= 12 for value in forbidden)
    for where, response in pages:
        raw_body = b"".join(response.streaming_content) if response.streaming else response.content  # the CSV streams
        body = raw_body.decode(errors="replace")
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for value in forbidden:
            assert value not in body, f"a secret or token in the body of {where}"
            assert value not in headers, f"a secret or token in the headers of {where}"
