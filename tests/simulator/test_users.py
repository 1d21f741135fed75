"""Users (fact sheet §2 #2–#6, §3.7, §8 #8, #11, #31)."""

from __future__ import annotations

import pytest

from .conftest import Api, World

pytestmark = pytest.mark.django_db
USER_FIELDS = {
    "id",
    "external_user_id",
    "role",
    "email",
    "first_name",
    "last_name",
    "street_and_number",
    "street_add_info",
    "zip_code",
    "town",
    "country",
    "latitude",
    "longitude",
    "location_last_updated",
}


def test_list_users_is_a_bare_array_of_the_org_only(world: World, api: Api) -> None:
    resp = api.get(f"/org/{api.org}/users")
    assert resp.status_code == 200
    body = resp.json()
    assert isinstance(body, list)
    assert {u["email"] for u in body} == {"anna@example.com", "ben@example.com"}
    assert all(set(u) == USER_FIELDS for u in body)


def test_create_user_returns_200_with_the_object(world: World, api: Api) -> None:
    resp = api.post(
        f"/org/{api.org}/users",
        {
            "role": "user",
            "email": "cara@example.com",
            "first_name": "Cara",
            "zip_code": 10115,
            "country_iso2": "DE",
            "external_user_id": "C-9",
        },
    )
    assert resp.status_code == 200
    user = resp.json()
    assert set(user) == USER_FIELDS
    assert user["zip_code"] == "10115" and user["country"] == "DE" and user["last_name"] is None
    assert api.get(f"/org/{api.org}/users/{user['id']}").json() == user


def test_create_user_with_a_taken_email_is_409(world: World, api: Api) -> None:
    resp = api.post(f"/org/{api.org}/users", {"role": "user", "email": "ANNA@example.com"})
    assert resp.status_code == 409
    assert "detail" in resp.json()


def test_create_user_without_role_is_422_and_unknown_field_400(world: World, api: Api) -> None:
    missing = api.post(f"/org/{api.org}/users", {"email": "x@example.com"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0] == {
        "type": "missing",
        "loc": ["body", "role"],
        "msg": "Field required",
    }
    extra = api.post(f"/org/{api.org}/users", {"role": "user", "email": "x@example.com", "shoe_size": 44})
    assert extra.status_code == 400
    assert extra.json()["detail"][0]["type"] == "extra_forbidden"


def test_put_user_is_partial(world: World, api: Api) -> None:
    path = api.user_path(world.ben)
    resp = api.put(path, {"town": "Graz", "latitude": 47.07, "longitude": 15.44})
    assert resp.status_code == 200
    body = resp.json()
    assert body["town"] == "Graz" and body["first_name"] == "Ben" and body["location_last_updated"]
    assert api.put(path, {"email": "anna@example.com"}).status_code == 409


def test_delete_user_soft_deletes(world: World, api: Api) -> None:
    path = api.user_path(world.ben)
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.get(path + "/heat-pumps").status_code == 404
    emails = {u["email"] for u in api.get(f"/org/{api.org}/users").json()}
    assert "ben@example.com" not in emails
    emails = {u["email"] for u in api.get(f"/org/{api.org}/users", include_deleted="true").json()}
    assert "ben@example.com" in emails


def test_users_of_another_org_are_404(world: World, api: Api) -> None:
    assert api.get(f"/org/{world.other_org.id}/users").status_code == 404
    assert api.get(api.user_path(world.stranger, org=str(world.other_org.id))).status_code == 404
    assert api.get(api.user_path(world.stranger)).status_code == 404
    assert api.get(api.user_path(world.stranger)).json() == {"detail": "Not Found"}
