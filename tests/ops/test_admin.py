"""Django admin for partner staff: homeowner list (cache only), a homeowner's page (one overview),
linking to Podero, the refresh action and its permission, the health page, the support group."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import PoderoLink, User
from devices import podero, services
from devices.models import AuditEntry
from tests import payloads

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:accounts_user_changelist"


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def _seed_devices(fake, user, *, reauth: bool = True) -> None:
    uid = user.podero.podero_user_id
    fake.add(uid, "heat-pumps", payloads.heat_pump())
    fake.add(uid, "electric-vehicles", payloads.ELECTRIC_VEHICLE if reauth else payloads.electric_vehicle())
    fake.add(uid, "inverters", payloads.inverter())


# --- Who gets in ---------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "/admin/", "/admin/accounts/user/", "/admin/podero-health/", "/admin/accounts/user/add-homeowner/",
])
def test_admin_pages_are_refused_to_a_homeowner(client, homeowner, url):
    client.force_login(homeowner)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_pages_render_for_staff(client, superuser, homeowner, podero_fake):
    _seed_devices(podero_fake, homeowner)
    client.force_login(superuser)
    for url in ("/admin/", reverse(CHANGELIST), change_url(homeowner), "/admin/podero-health/",
                reverse("admin:accounts_user_add_homeowner"),
                reverse("admin:accounts_user_link_podero", args=[homeowner.pk]), reverse("admin:accounts_user_add")):
        response = client.get(url)
        assert response.status_code == 200, url


def test_admin_index_links_to_the_health_page(client, superuser):
    client.force_login(superuser)
    assert reverse("admin:podero_health") in client.get("/admin/").content.decode()


# --- The list reads the cache only ---------------------------------------------------------------------
def test_homeowner_list_reads_only_the_cache(client, superuser, homeowner, other_homeowner, podero_fake):
    _seed_devices(podero_fake, homeowner)
    services.device_overview(link=homeowner.podero)  # the homeowner opened the dashboard: cache warm
    calls_before = len(podero_fake.calls)
    client.force_login(superuser)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert len(podero_fake.calls) == calls_before, "the list must never call Podero"
    html = response.content.decode()
    assert str(homeowner.podero.podero_user_id) in html
    row = html[html.index("owner@example.com"):]
    row = row[:row.index("</tr>")]
    # the devices by name (no ids), and the EV needs reauthentication
    assert "Nibe S2125-8" in row and "Tesla Model 3" in row and "Fronius" in row and "yes (1)" in row
    assert payloads.ELECTRIC_VEHICLE["id"] not in row
    other_row = html[html.index("other@example.com"):]
    assert "not loaded yet" in other_row[:other_row.index("</tr>")]


def test_homeowner_list_search_and_filters(client, superuser, homeowner, other_homeowner):
    unlinked = User.objects.create_user(email="unlinked@example.com", password="x-Very-long-1")
    client.force_login(superuser)
    url = reverse(CHANGELIST)
    html = client.get(url, {"q": str(homeowner.podero.podero_user_id)}).content.decode()
    assert "owner@example.com" in html and "other@example.com" not in html
    html = client.get(url, {"q": "other@"}).content.decode()
    assert "other@example.com" in html and "owner@example.com" not in html
    html = client.get(url, {"linked": "no"}).content.decode()
    assert unlinked.email in html and "owner@example.com" not in html
    html = client.get(url, {"linked": "yes"}).content.decode()
    assert unlinked.email not in html and "owner@example.com" in html
    # Staff are not homeowners: they have a list of their own.
    html = client.get(url).content.decode()
    assert f">{superuser.email}</a>" not in html
    html = client.get(reverse("admin:accounts_staffuser_changelist")).content.decode()
    assert f">{superuser.email}</a>" in html and "owner@example.com" not in html
    assert client.get(url, {"is_active__exact": "0"}).status_code == 200


# --- A homeowner's page ------------------------------------------------------------------------------
def test_change_page_shows_devices_actions_and_audit_with_one_overview(client, superuser, homeowner, podero_fake,
                                                                       monkeypatch):
    _seed_devices(podero_fake, homeowner)
    AuditEntry.objects.create(user=homeowner, user_email=homeowner.email, device_kind="electric-vehicles",
                              device_id=payloads.ELECTRIC_VEHICLE["id"], action="boost_start", outcome="ok",
                              upstream_status=204)
    overview_calls = []
    real = services.device_overview
    monkeypatch.setattr(services, "device_overview", lambda **kw: overview_calls.append(kw) or real(**kw))
    client.force_login(superuser)
    response = client.get(change_url(homeowner))
    html = response.content.decode()
    assert len(overview_calls) == 1
    assert "Nibe S2125-8" in html and "Tesla Model 3" in html and "Fronius" in html
    assert "reauthenticate" in html
    link = payloads.ELECTRIC_VEHICLE["actions"][0]["resolution_link"]["url"]
    assert link.split("?")[0] in html and link not in html and "secret=" not in html  # the signed secret stays hidden
    assert "warning" in html  # the EV's connection state
    assert "Charge now" in html and "boost_start" not in html  # the audit row, in plain words
    assert "Refresh devices now" in html
    assert len([c for c in podero_fake.calls if c[0] == "list_devices"]) == 3  # one per kind, then cached
    client.get(change_url(homeowner))
    assert len([c for c in podero_fake.calls if c[0] == "list_devices"]) == 3


def test_change_page_survives_an_outage(client, superuser, homeowner, podero_fake):
    podero_fake.fail_with = podero.PoderoUnavailable("down")
    client.force_login(superuser)
    response = client.get(change_url(homeowner))
    assert response.status_code == 200
    assert "Podero is not reachable." in response.content.decode()


# --- Refresh: the action and the button, and their permission -----------------------------------------------
def test_refresh_action_forces_a_fetch(client, superuser, homeowner, podero_fake, monkeypatch):
    _seed_devices(podero_fake, homeowner)
    forced = []
    real = services.device_overview
    monkeypatch.setattr(services, "device_overview", lambda **kw: forced.append(kw.get("force")) or real(**kw))
    client.force_login(superuser)
    response = client.post(reverse(CHANGELIST), {"action": "refresh_devices", "_selected_action": [homeowner.pk]},
                           follow=True)
    assert forced == [True]
    assert "Refreshed the devices of 1 homeowner" in response.content.decode()


def test_refresh_button_posts_and_needs_the_permission(client, homeowner, podero_fake, db):
    _seed_devices(podero_fake, homeowner)
    staff = User.objects.create_user(email="viewer@partner.example", password="x-Very-long-1", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "view_poderolink"]))
    client.force_login(staff)
    url = reverse("admin:accounts_user_refresh_devices", args=[homeowner.pk])
    assert client.post(url).status_code == 403
    assert "Refresh devices now" not in client.get(change_url(homeowner)).content.decode()
    response = client.post(reverse(CHANGELIST), {"action": "refresh_devices", "_selected_action": [homeowner.pk]})
    assert response.status_code in (200, 302)
    # Only the page view's own (cached) overview: the refused action forced nothing.
    assert len([c for c in podero_fake.calls if c[0] == "list_devices"]) <= 3
    staff.groups.add(Group.objects.get(name="Partner support"))
    staff = User.objects.get(pk=staff.pk)  # drop the permission cache
    client.force_login(staff)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "Devices refreshed from Podero." in response.content.decode()


# --- The Partner support group ------------------------------------------------------------------------------
def test_partner_support_group_has_exactly_the_stated_permissions(db):
    group = Group.objects.get(name="Partner support")
    assert set(group.permissions.values_list("content_type__app_label", "codename")) == {
        ("accounts", "view_user"), ("accounts", "view_poderolink"), ("accounts", "refresh_devices"),
        ("devices", "view_auditentry"),
    }


def test_partner_support_can_view_but_not_change(client, support_user, homeowner, podero_fake):
    _seed_devices(podero_fake, homeowner)
    client.force_login(support_user)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    html = client.get(change_url(homeowner)).content.decode()
    assert "Tesla Model 3" in html and "Refresh devices now" in html
    assert 'name="_save"' not in html  # read-only
    response = client.post(change_url(homeowner), {"email": "hijack@example.com"})
    assert response.status_code == 403
    assert client.get(reverse("admin:accounts_user_add_homeowner")).status_code == 403
    assert client.get(reverse("admin:accounts_user_link_podero", args=[homeowner.pk])).status_code == 403
    assert not support_user.has_perm("accounts.change_user")
    assert not support_user.has_perm("devices.change_auditentry")


# --- Linking ------------------------------------------------------------------------------------------------
def test_add_homeowner_linked_to_an_existing_podero_user(client, superuser, podero_fake):
    podero_id = podero_fake.add_user("new@example.com")
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_add_homeowner"), {
        "email": "New@Example.com", "first_name": "Nia", "last_name": "", "password": "",
        "how": "existing", "podero_user_id": podero_id,
    })
    user = User.objects.get(email="new@example.com")
    assert response.status_code == 302 and response["Location"] == change_url(user)
    assert str(user.podero.podero_user_id) == podero_id
    assert not user.has_usable_password()
    assert ("get_user", podero_id) in podero_fake.calls


def test_add_homeowner_creating_the_podero_user(client, superuser, podero_fake):
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_add_homeowner"), {
        "email": "fresh@example.com", "first_name": "Fay", "last_name": "Ode", "password": "Plenty-long-pass-9",
        "how": "create", "podero_user_id": "", "external_user_id": "CUST-7",
    })
    assert response.status_code == 302
    user = User.objects.get(email="fresh@example.com")
    created = podero_fake.users[str(user.podero.podero_user_id)]
    assert created["email"] == "fresh@example.com" and created["external_user_id"] == "CUST-7"
    assert user.check_password("Plenty-long-pass-9")


def test_link_errors_are_shown_next_to_the_field_and_keep_the_input(client, superuser, podero_fake, homeowner):
    client.force_login(superuser)
    url = reverse("admin:accounts_user_add_homeowner")
    missing = str(uuid.uuid4())
    html = client.post(url, {"email": "x@example.com", "how": "existing", "podero_user_id": missing}).content.decode()
    assert "Podero has no user with this id" in html and 'value="x@example.com"' in html
    html = client.post(url, {"email": "x@example.com", "how": "existing", "podero_user_id": "nope"}).content.decode()
    assert "is not a valid UUID" in html
    html = client.post(url, {"email": "owner@example.com", "how": "create"}).content.decode()
    assert "already exists" in html
    podero_fake.create_error = podero.PoderoConflict(status=409, method="POST", path="/users",
                                                     body={"detail": "email already exists"})
    html = client.post(url, {"email": "y@example.com", "how": "create"}).content.decode()
    assert "Podero refused to create this user (email already exists)" in html
    podero_fake.create_error = podero.PoderoUnavailable("down")
    html = client.post(url, {"email": "z@example.com", "how": "create"}).content.decode()
    assert "Podero is not reachable. Nothing was changed" in html
    assert not User.objects.filter(email__in=["x@example.com", "y@example.com", "z@example.com"]).exists()


def test_relink_existing_homeowner_and_unlink_keeps_the_audit_log(client, superuser, homeowner, podero_fake):
    AuditEntry.objects.create(user=homeowner, user_email=homeowner.email, device_kind="heat-pumps",
                              device_id="x", action="pause", outcome="ok")
    new_id = podero_fake.add_user(homeowner.email)
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_link_podero", args=[homeowner.pk]),
                           {"how": "existing", "podero_user_id": new_id})
    assert response.status_code == 302
    homeowner.refresh_from_db()
    assert str(homeowner.podero.podero_user_id) == new_id
    link = homeowner.podero
    # Unlink with the inline's delete box on the change form.
    data = {
        "email": homeowner.email, "first_name": homeowner.first_name, "last_name": "",
        "timezone": "Europe/Vienna", "notify_attention": "on", "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
        "podero-TOTAL_FORMS": "1", "podero-INITIAL_FORMS": "1", "podero-MIN_NUM_FORMS": "0",
        "podero-MAX_NUM_FORMS": "1", "podero-0-id": link.pk, "podero-0-user": homeowner.pk,
        "podero-0-org_id": str(link.org_id), "podero-0-podero_user_id": new_id, "podero-0-DELETE": "on",
    }
    response = client.post(change_url(homeowner), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not PoderoLink.objects.filter(user=homeowner).exists()
    assert AuditEntry.objects.filter(user=homeowner, action="pause").count() == 1


def test_stock_add_user_form_creates_a_staff_account(client, superuser):
    client.force_login(superuser)
    response = client.post(reverse("admin:accounts_user_add"), {
        "email": "colleague@partner.example", "usable_password": "true",
        "password1": "Quiet-harbour-2046", "password2": "Quiet-harbour-2046",
    })
    user = User.objects.get(email="colleague@partner.example")
    assert response.status_code == 302 and response["Location"] == change_url(user)
    assert user.check_password("Quiet-harbour-2046")
