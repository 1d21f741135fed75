"""OAuth2 client credentials (fact sheet §1, §8 #1, #2, #34)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from simulator import clock, config

from .conftest import ROOT, Api, World, basic

pytestmark = pytest.mark.django_db
TOKEN_URL = ROOT + "/oauth2/token/"


def test_token_json_body_returns_documented_fields(world: World, client) -> None:
    resp = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        content_type="application/json",
        headers={"Authorization": basic("client-a", "secret-a")},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["expires_in"] == 36000 and body["token_type"] == "Bearer" and body["scope"] == "read write"
    assert isinstance(body["access_token"], str) and len(body["access_token"]) > 20


def test_token_form_body_is_accepted_too(world: World, client) -> None:
    resp = client.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        headers={"Authorization": basic("client-a", "secret-a")},
    )
    assert resp.status_code == 200


@pytest.mark.parametrize(
    "auth", [basic("client-a", "wrong"), basic("nobody", "secret-a"), "Basic !!!", "", "Bearer x"]
)
def test_token_bad_client_is_401_invalid_client(world: World, client, auth: str) -> None:
    headers = {"Authorization": auth} if auth else {}
    resp = client.post(
        TOKEN_URL, {"grant_type": "client_credentials"}, content_type="application/json", headers=headers
    )
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client"}


def test_token_wrong_grant_is_400(world: World, client) -> None:
    resp = client.post(
        TOKEN_URL,
        {"grant_type": "password"},
        content_type="application/json",
        headers={"Authorization": basic("client-a", "secret-a")},
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "unsupported_grant_type"}


def test_token_ttl_is_configurable(world: World, api: Api) -> None:
    config.configure(token_ttl_s=60)
    resp = api.http.post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        content_type="application/json",
        headers={"Authorization": basic("client-a", "secret-a")},
    )
    assert resp.json()["expires_in"] == 60


def test_token_expiry_is_enforced_under_the_frozen_clock(world: World, api: Api) -> None:
    path = api.user_path(world.anna) + "/heat-pumps"
    clock.advance(timedelta(seconds=36000 - 1))
    assert api.get(path).status_code == 200
    clock.advance(timedelta(seconds=2))
    resp = api.get(path)
    assert resp.status_code == 401
    assert resp.json() == {"detail": "Unauthorized"}
    assert resp["WWW-Authenticate"] == "Bearer"
    api.fetch_token()
    assert api.get(path).status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_missing_or_unknown_bearer_is_401(world: World, api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = api.http.get(api.url(api.user_path(world.anna) + "/electric-vehicles"), headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {"detail": "Unauthorized"}
    assert resp["WWW-Authenticate"] == "Bearer"
