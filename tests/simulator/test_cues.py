"""Re-authentication: actions, cues and auth_session (fact sheet §5, §8 #13, #14)."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from simulator import clock, factories

from .conftest import Api, World

pytestmark = pytest.mark.django_db
RESOLVE_BODY = {"successUrl": "https://partner.example/ok", "cancelUrl": "https://partner.example/cancel"}


def _reauth(api: Api, world: World) -> tuple[str, str, str]:
    """Put the EV into re-auth; return (resolve path+query for the test client, cue id, secret)."""
    factories.require_reauth(world.ev)
    [action] = api.get(api.device_path(world.ev)).json()["actions"]
    url = urlsplit(action["resolution_link"]["url"])
    cue_id = url.path.rstrip("/").split("/")[-2]
    return f"{url.path}?{url.query}", cue_id, parse_qs(url.query)["secret"][0]


def test_reauth_shows_in_the_payload(world: World, api: Api) -> None:
    factories.require_reauth(world.ev)
    body = api.get(api.device_path(world.ev)).json()
    assert body["is_authenticated"] is False and body["connection_status"] == "error"
    assert body["action_needed"] is True and body["authorization_url"]
    [action] = body["actions"]
    assert action["code"] == "reauthenticate"
    assert action["resolution_link"]["required_parameters"] == ["successUrl", "cancelUrl"]
    url = action["resolution_link"]["url"]
    assert url.startswith(
        f"http://testserver/simulator/api/partners/v2.0/cues/{action['id']}/resolve?secret="
    )
    factories.require_reauth(world.ev)  # twice: still one action
    assert len(api.get(api.device_path(world.ev)).json()["actions"]) == 1


def test_resolve_then_fail_keeps_the_action_then_success_clears_it(world: World, api: Api) -> None:
    resolve, cue_id, secret = _reauth(api, world)
    resp = api.post(resolve, RESOLVE_BODY)
    assert resp.status_code == 200
    assert set(resp.json()) == {"redirect_url"} and resp.json()["redirect_url"].startswith(
        "http://testserver/simulator/"
    )
    state = f"/cues/{cue_id}/state?secret={secret}"
    anonymous = api.http.post(
        api.url(state), {"state": "fail"}, content_type="application/json"
    )  # no bearer needed
    assert (anonymous.status_code, anonymous.json()) == (200, {"action_id": cue_id})
    assert api.get(api.device_path(world.ev)).json()["action_needed"] is True
    assert api.post(resolve, RESOLVE_BODY).status_code == 200  # may retry after a failure
    assert api.post(state, {"state": "success"}).status_code == 200
    body = api.get(api.device_path(world.ev)).json()
    assert (body["is_authenticated"], body["connection_status"], body["action_needed"], body["actions"]) == (
        True,
        "ok",
        False,
        [],
    )
    assert api.post(state, {"state": "success"}).status_code == 404  # no longer active


def test_cue_errors(world: World, api: Api) -> None:
    resolve, cue_id, secret = _reauth(api, world)
    assert api.post(f"/cues/{uuid.uuid4()}/state?secret={secret}", {"state": "success"}).status_code == 404
    assert api.post(f"/cues/{cue_id}/state?secret=1.forged", {"state": "success"}).status_code == 403
    assert api.post(f"/cues/{cue_id}/state?secret={secret}", {"state": "maybe"}).status_code == 422
    assert api.post(resolve, {"successUrl": "https://x"}).status_code == 422
    clock.advance(hours=2)  # the secret lives one hour
    assert api.post(resolve, RESOLVE_BODY).status_code == 403


def test_resolve_needs_a_bearer_token_of_the_devices_org(world: World, api: Api, client) -> None:
    resolve, _, _ = _reauth(api, world)
    assert client.post(resolve, RESOLVE_BODY, content_type="application/json").status_code == 401
    other = Api(http=client, org=str(world.other_org.id), client_id="client-b", client_secret="secret-b")
    other.fetch_token()
    assert other.post(resolve, RESOLVE_BODY).status_code == 404


def test_auth_session_and_the_fake_connect_page_relink_the_device(world: World, api: Api) -> None:
    factories.require_reauth(world.inverter)
    resp = api.post(
        api.device_path(world.inverter) + "/auth_session", {"success_url": "https://partner.example/back"}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"authentication_url", "device_id", "session_id"} and body["device_id"] == str(
        world.inverter.id
    )
    page = api.http.get(body["authentication_url"])
    assert page.status_code == 302 and page["Location"] == "https://partner.example/back"
    relinked = api.get(api.device_path(world.inverter)).json()
    assert (relinked["is_authenticated"], relinked["actions"], relinked["authorization_url"]) == (
        True,
        [],
        None,
    )
