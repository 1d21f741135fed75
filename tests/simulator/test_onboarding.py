"""Device onboarding (addendum §1b, fact sheet §3.10) and device soft-delete (§2 notes, §8 #8) in the simulator."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from simulator import clock, stats
from simulator.models import Device, OnboardingSession

from .conftest import ROOT, Api, World

BACK = "https://dashboard.example/devices/add/1"


def body(uid, **overrides):
    return {"language": "de", "price_zone_default": "DE_LU", "is_smart_optimization_active_default": False,
            "success_url": BACK + "/done", "cancel_url": BACK + "/cancelled", "user_id": str(uid), **overrides}


def start(api: Api, world: World, **overrides) -> dict:
    resp = api.post("/device-onboarding", body(world.ben.id, **overrides))
    assert resp.status_code == 200, resp.content
    return resp.json()


def connect_path(session: dict) -> str:
    url = urlsplit(session["authentication_url"])
    return f"{url.path}?{url.query}"


def test_create_answers_the_documented_session(api: Api, world: World) -> None:
    session = start(api, world)
    assert set(session) == {"authentication_url", "id", "user", "success_url", "cancel_url", "expiration_date",
                            "object_id", "external_metadata"}
    assert (session["user"], session["object_id"], session["external_metadata"]) == (str(world.ben.id), None, {})
    assert (session["success_url"], session["cancel_url"]) == (BACK + "/done", BACK + "/cancelled")
    # Frozen at 12:00 Vienna on 2025-06-14: valid until the end of the next day.
    assert session["expiration_date"] == "2025-06-15"
    query = parse_qs(urlsplit(session["authentication_url"]).query)
    assert query == {"onboarding_session_id": [session["id"]]}
    fetched = api.get(f"/device-onboarding/{session['id']}")
    assert fetched.status_code == 200 and fetched.json() == session
    assert stats.count(path_contains="/device-onboarding") == 2


@pytest.mark.parametrize(
    ("change", "status", "loc"),
    [
        ({"language": "fr"}, 422, "language"),
        ({"price_zone_default": "FR"}, 422, "price_zone_default"),
        ({"success_url": "x" * 8001}, 422, "success_url"),
        ({"device_type": "tv"}, 422, "device_type"),
        ({"user_id": "not-a-uuid"}, 422, "user_id"),
        ({"colour": "red"}, 400, "colour"),
    ],
)
def test_create_validates_the_body(api: Api, world: World, change, status, loc) -> None:
    resp = api.post("/device-onboarding", body(world.ben.id, **change))
    assert resp.status_code == status
    assert [item["loc"] for item in resp.json()["detail"]] == [["body", loc]]


def test_create_requires_the_documented_fields(api: Api, world: World) -> None:
    resp = api.post("/device-onboarding", {"language": "en"})
    assert resp.status_code == 422
    assert sorted(item["loc"][-1] for item in resp.json()["detail"]) == [
        "cancel_url", "price_zone_default", "success_url", "user_id"]


def test_users_and_sessions_of_another_org_are_not_found(api: Api, world: World) -> None:
    assert api.post("/device-onboarding", body(world.stranger.id)).status_code == 404
    assert api.post("/device-onboarding", body(uuid.uuid4())).status_code == 404
    other = Api(http=api.http, org=str(world.other_org.id), client_id="client-b", client_secret="secret-b")
    other.fetch_token()
    session = start(api, world)
    assert other.get(f"/device-onboarding/{session['id']}").status_code == 404
    assert api.get(f"/device-onboarding/{uuid.uuid4()}").status_code == 404
    assert OnboardingSession.objects.count() == 1


def test_the_connect_ui_creates_a_live_device_and_redirects_to_the_stored_success_url(
        api: Api, world: World, client: Client) -> None:
    session = start(api, world)
    page = client.get(connect_path(session))
    assert page.status_code == 200 and 'name="kind"' in page.content.decode()
    step = client.get(connect_path(session) + "&kind=electric_vehicle")
    assert 'name="manufacturer"' in step.content.decode() and "Volkswagen" in step.content.decode()
    # A success URL smuggled into the form is ignored: only the stored one is used.
    done = client.post(ROOT + "/_sim/connect", {
        "onboarding_session_id": session["id"], "kind": "electric_vehicle", "manufacturer": "Volkswagen",
        "email": "ben@example.com", "password": "secret", "action": "connect",
        "success_url": "https://evil.example/", "next": "https://evil.example/"})
    assert done.status_code == 303 and done["Location"] == BACK + "/done"

    device = Device.objects.get(owner=world.ben)
    fetched = api.get(f"/device-onboarding/{session['id']}").json()
    assert fetched["object_id"] == str(device.id)
    ev = api.get(api.device_path(device)).json()
    assert (ev["device_model"]["manufacturer"], ev["device_model"]["model"]) == ("Volkswagen", "ID.4")
    assert (ev["price_zone"], ev["is_smart_optimization_active"]) == ("DE_LU", False)  # the session's defaults
    assert ev["connection_status"] == "ok" and ev["battery_level"] == 64 and ev["is_plugged_in"] is True
    assert [d["id"] for d in api.get(api.user_path(world.ben) + "/electric-vehicles").json()] == [str(device.id)]

    # A second submit (double click, back button) creates nothing more and goes to the same place.
    again = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "heat_pump",
                                                 "manufacturer": "Nibe", "email": "b@x.y", "password": "p",
                                                 "action": "connect"})
    assert again.status_code == 303 and again["Location"] == BACK + "/done"
    assert Device.objects.filter(owner=world.ben).count() == 1


def test_cancel_and_a_refused_sign_in_go_to_the_stored_cancel_url(api: Api, world: World, client: Client) -> None:
    session = start(api, world)
    cancelled = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "action": "cancel",
                                                     "cancel_url": "https://evil.example/"})
    assert cancelled.status_code == 303 and cancelled["Location"] == BACK + "/cancelled"
    failed = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "inverter",
                                                  "manufacturer": "SMA", "email": "b@x.y", "password": "wrong",
                                                  "action": "connect"})
    assert failed.status_code == 303 and failed["Location"] == BACK + "/cancelled"
    assert not Device.objects.filter(owner=world.ben).exists()
    assert api.get(f"/device-onboarding/{session['id']}").json()["object_id"] is None


def test_the_connect_ui_checks_its_input_and_the_session_device_type(api: Api, world: World, client: Client) -> None:
    session = start(api, world, device_type="hp")
    page = client.get(connect_path(session)).content.decode()
    assert 'name="kind" value="heat_pump"' in page and 'name="manufacturer"' in page  # one kind: straight on
    wrong_kind = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "inverter",
                                                      "manufacturer": "SMA", "email": "b@x.y", "password": "p",
                                                      "action": "connect"})
    assert wrong_kind.status_code == 422
    missing = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "heat_pump",
                                                   "manufacturer": "Nibe", "email": "", "password": "p",
                                                   "action": "connect"})
    assert missing.status_code == 422 and 'role="alert"' in missing.content.decode()
    assert client.get(ROOT + "/_sim/connect?onboarding_session_id=nope").status_code == 404
    assert not Device.objects.filter(owner=world.ben).exists()


def test_the_connect_ui_is_a_post_with_csrf(api: Api, world: World) -> None:
    session = start(api, world)
    strict = Client(enforce_csrf_checks=True)
    resp = strict.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "heat_pump",
                                                "manufacturer": "Nibe", "email": "b@x.y", "password": "p",
                                                "action": "connect"})
    assert resp.status_code == 403
    page = strict.get(connect_path(session) + "&kind=heat_pump")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    resp = strict.post(ROOT + "/_sim/connect", {"csrfmiddlewaretoken": token, "onboarding_session_id": session["id"],
                                                "kind": "heat_pump", "manufacturer": "Nibe", "email": "b@x.y",
                                                "password": "p", "action": "connect"})
    assert resp.status_code == 303


def test_a_session_expires_at_the_end_of_the_next_day(api: Api, world: World, client: Client) -> None:
    session = start(api, world)
    clock.advance(timedelta(hours=35, minutes=59))  # 23:59 Vienna on the next day: still valid
    assert client.get(connect_path(session)).status_code == 200
    clock.advance(timedelta(minutes=2))
    expired = client.get(connect_path(session))
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    refused = client.post(ROOT + "/_sim/connect", {"onboarding_session_id": session["id"], "kind": "heat_pump",
                                                   "manufacturer": "Nibe", "email": "b@x.y", "password": "p",
                                                   "action": "connect"})
    assert refused.status_code == 410 and not Device.objects.filter(owner=world.ben).exists()
    api.fetch_token()  # the token of 36 h ago has expired
    fetched = api.get(f"/device-onboarding/{session['id']}")  # still readable: the date says it expired
    assert fetched.status_code == 200 and fetched.json()["expiration_date"] == "2025-06-15"


# --- Soft delete (fact sheet §2 notes: PUT deleted_at; §8 #8) -----------------------------------------
def test_a_soft_deleted_device_leaves_the_lists_unless_include_deleted(api: Api, world: World) -> None:
    path = api.device_path(world.ev)
    resp = api.put(path, {"deleted_at": "2025-06-14T10:00:00Z"})
    assert resp.status_code == 200
    assert (resp.json()["deleted_at"], resp.json()["lifecycle_state"]) == ("2025-06-14T10:00:00Z", "deleted")
    listing = api.user_path(world.anna) + "/electric-vehicles"
    assert api.get(listing).json() == []
    assert [d["id"] for d in api.get(listing, include_deleted="true").json()] == [str(world.ev.id)]
    assert api.get(path).status_code == 404
    assert api.get(path, include_deleted="true").json()["deleted_at"] == "2025-06-14T10:00:00Z"
    assert api.put(path, {"deleted_at": None}).status_code == 404  # a deleted device takes no more writes
    assert api.post(path + "/boost").status_code == 404
    # The user's other devices are untouched.
    assert len(api.get(api.user_path(world.anna) + "/heat-pumps").json()) == 1
