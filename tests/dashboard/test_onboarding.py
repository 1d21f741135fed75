"""Adding a device (Podero's device onboarding) and removing one: views and services against the fake client,
with the ownership matrix (another homeowner, anonymous: 404 / login, and 0 upstream calls)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices import podero, services
from devices.models import AuditEntry, DeviceOnboarding
from tests import payloads
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
ADD = reverse("dashboard:device-add")
WRITES = {"create_onboarding", "delete_device", "update_device", "start_boost", "cancel_boost", "put_charge_policy"}


def writes(fake) -> list[tuple[str, ...]]:
    return [c for c in fake.calls if c[0] in WRITES]


def status_url(ref) -> str:
    return reverse("dashboard:device-add-status", args=[ref])


def cancelled_url(ref) -> str:
    return reverse("dashboard:device-add-cancelled", args=[ref])


def remove_url(kind: str, device_id: str) -> str:
    return reverse("dashboard:device-remove", args=[kind, device_id])


@pytest.fixture
def owner(client, fake_podero, homeowner):
    client.force_login(homeowner)
    return client


def start(client, fake) -> DeviceOnboarding:
    response = client.post(ADD, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200, response.content.decode()[:400]
    row = DeviceOnboarding.objects.get()
    session = fake.onboardings[str(row.onboarding_id)]
    url = re.search(r'<meta http-equiv="refresh" content="1;url=([^"]+)">', response.content.decode()).group(1)
    assert html.unescape(url) == session["authentication_url"]
    assert f'href="{url}"' in response.content.decode()  # the same link for a browser without meta refresh
    return row


# --- The button -------------------------------------------------------------------------------------
def test_add_a_device_is_a_post_form_on_the_dashboard_and_on_the_empty_state(owner, fake_podero, homeowner):
    page = owner.get(reverse("dashboard:home")).content.decode()
    assert page.count(f'action="{ADD}"') == 2  # the page head and the empty state
    assert "No devices connected yet" in page and "csrfmiddlewaretoken" in page
    fake_podero.add(homeowner.podero.podero_user_id, "heat-pumps", payloads.heat_pump())
    services.invalidate(link=homeowner.podero)
    page = owner.get(reverse("dashboard:home")).content.decode()
    assert page.count(f'action="{ADD}"') == 1 and "No devices connected yet" not in page


# --- Starting ---------------------------------------------------------------------------------------
def test_start_opens_one_session_for_the_homeowner_with_our_return_urls(owner, fake_podero, homeowner):
    uid = str(homeowner.podero.podero_user_id)
    fake_podero.add(uid, "inverters", payloads.inverter(price_zone="DE_LU"))
    owner.get(reverse("dashboard:home"))  # the home's devices are cached: the zone comes from them
    row = start(owner, fake_podero)
    session = fake_podero.onboardings[str(row.onboarding_id)]
    assert session["user"] == uid
    assert session["_body"] == {"language": "de", "price_zone_default": "DE_LU",
                                "is_smart_optimization_active_default": True}
    assert session["success_url"] == "http://testserver" + status_url(row.ref)
    assert session["cancel_url"] == "http://testserver" + cancelled_url(row.ref)
    assert (row.user, row.state) == (homeowner, "waiting")
    entry = AuditEntry.objects.get(action="device_onboarding_start")
    assert (entry.outcome, entry.device_id, entry.user) == ("ok", str(row.onboarding_id), homeowner)
    assert len(writes(fake_podero)) == 1


def test_an_unknown_language_and_an_empty_home_fall_back_to_the_defaults(owner, fake_podero, settings):
    settings.PODERO_PRICE_ZONE_DEFAULT = "SE_3"
    owner.post(ADD, HTTP_ACCEPT_LANGUAGE="fr")
    (session,) = fake_podero.onboardings.values()
    assert (session["_body"]["language"], session["_body"]["price_zone_default"]) == ("en", "SE_3")


@pytest.mark.parametrize(("error", "outcome"), [
    (podero.PoderoServerError(status=503, method="POST", path="/device-onboarding", body=None), "failed"),
    (podero.PoderoWriteTimeout("POST /device-onboarding timed out"), "unknown"),
])
def test_a_start_podero_could_not_answer_says_no_device_was_added(owner, fake_podero, error, outcome):
    fake_podero.write_error = error
    response = owner.post(ADD)
    text = html.unescape(response.content.decode())
    assert response.status_code == 502 and "No device was added." in text and "503" not in text
    assert f'action="{ADD}"' in text  # try again
    assert AuditEntry.objects.get(action="device_onboarding_start").outcome == outcome
    assert DeviceOnboarding.objects.get().state == "failed"
    assert len(writes(fake_podero)) == 1  # never retried


def test_start_is_a_csrf_checked_post_and_needs_a_login(fake_podero, homeowner):
    assert Client().post(ADD).status_code == 302 and not fake_podero.calls  # anonymous: to the login
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(homeowner)
    assert strict.post(ADD).status_code == 403
    assert strict.get(ADD).status_code == 405
    assert not fake_podero.calls


# --- Waiting for the device -------------------------------------------------------------------------
def test_the_return_page_polls_until_the_device_exists_then_shows_its_card(owner, fake_podero, homeowner):
    row = start(owner, fake_podero)
    waiting = owner.get(status_url(row.ref)).content.decode()
    assert f'hx-get="{status_url(row.ref)}"' in waiting and 'hx-trigger="every 2s"' in waiting
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in waiting
    assert f'href="{status_url(row.ref)}">Check again' in waiting
    poll = owner.get(status_url(row.ref), **HTMX)
    assert poll.status_code == 200 and "<html" not in poll.content.decode()

    ev = fake_podero.connect(str(row.onboarding_id), "electric-vehicles",
                             payloads.electric_vehicle(device_model={"manufacturer": "Volkswagen", "model": "ID.4"}))
    done = owner.get(status_url(row.ref))
    assert done.status_code == 302 and done["Location"] == reverse("dashboard:home") + f"#device-{ev['id']}"
    page = html.unescape(owner.get(done["Location"]).content.decode())
    assert "Volkswagen ID.4 was added to your home." in page and f'id="device-{ev["id"]}"' in page
    entry = AuditEntry.objects.get(action="device_added")
    assert (entry.outcome, entry.device_id, entry.device_kind) == ("ok", ev["id"], "electric-vehicles")

    polls = len(fake_podero.list_calls("get_onboarding"))
    again = owner.get(status_url(row.ref), **HTMX)  # a late poll: settled, nothing more is asked
    assert again.status_code == 200 and again["HX-Redirect"].endswith(f"#device-{ev['id']}")
    assert len(fake_podero.list_calls("get_onboarding")) == polls
    assert AuditEntry.objects.filter(action="device_added").count() == 1


def test_an_expired_session_says_so_and_stops_polling(owner, fake_podero):
    fake_podero.expiration_date = "2000-01-01"
    row = start(owner, fake_podero)
    poll = owner.get(status_url(row.ref), **HTMX)
    assert poll.status_code == 286 and "This connection link has expired." in html.unescape(poll.content.decode())
    page = html.unescape(owner.get(status_url(row.ref)).content.decode())
    assert "valid until the end of the next day" in page and "hx-trigger" not in page
    assert DeviceOnboarding.objects.get().state == "expired"


def test_a_session_podero_no_longer_knows_reads_as_expired(owner, fake_podero):
    row = start(owner, fake_podero)
    fake_podero.onboardings.clear()
    assert "This connection link has expired." in html.unescape(owner.get(status_url(row.ref)).content.decode())


def test_podero_down_while_waiting_keeps_waiting(owner, fake_podero):
    row = start(owner, fake_podero)
    fake_podero.fail_with = podero.PoderoUnavailable("down")
    poll = owner.get(status_url(row.ref), **HTMX)
    assert poll.status_code == 200 and "We keep trying" in poll.content.decode()
    assert DeviceOnboarding.objects.get().state == "waiting"


def test_cancel_and_a_failed_sign_in_come_back_to_a_clear_page(owner, fake_podero):
    row = start(owner, fake_podero)
    calls = len(fake_podero.calls)
    page = owner.get(cancelled_url(row.ref))
    text = html.unescape(page.content.decode())
    assert page.status_code == 200 and "No device was added." in text
    assert "You cancelled, or the sign-in at the manufacturer did not succeed." in text
    assert f'action="{ADD}"' in text and len(fake_podero.calls) == calls  # no upstream call
    assert DeviceOnboarding.objects.get().state == "cancelled"
    assert AuditEntry.objects.filter(action="device_onboarding_cancel", outcome="ok").count() == 1
    assert "No device was added." in html.unescape(owner.get(status_url(row.ref)).content.decode())


def test_another_homeowner_cannot_poll_or_cancel_an_onboarding(client, fake_podero, homeowner, other_homeowner):
    client.force_login(homeowner)
    row = start(client, fake_podero)
    fake_podero.calls.clear()
    intruder = Client()
    intruder.force_login(other_homeowner)
    assert intruder.get(status_url(row.ref)).status_code == 404
    assert intruder.get(status_url(row.ref), **HTMX).status_code == 404
    assert intruder.get(cancelled_url(row.ref)).status_code == 404
    assert fake_podero.calls == []  # refused before any upstream call
    assert DeviceOnboarding.objects.get().state == "waiting"
    anonymous = Client()
    assert anonymous.get(status_url(row.ref)).status_code == 302 and fake_podero.calls == []


# --- Removing ---------------------------------------------------------------------------------------
@pytest.fixture
def house(owner, fake_podero, homeowner):
    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    inv = fake_podero.add(uid, "inverters", payloads.inverter())
    return hp, inv


def test_the_device_page_offers_removal_behind_a_confirmation(owner, house):
    hp, _ = house
    detail = owner.get(reverse("dashboard:device_detail", args=["heat-pump", hp["id"]])).content.decode()
    assert f'href="{remove_url("heat-pump", hp["id"])}"' in detail
    confirm = owner.get(remove_url("heat-pump", hp["id"]))
    text = html.unescape(confirm.content.decode())
    assert confirm.status_code == 200 and "Remove Nibe S2125-8?" in text
    assert f'<form method="post" action="{remove_url("heat-pump", hp["id"])}"' in text and "csrfmiddlewaretoken" in text


def test_removing_soft_deletes_audits_and_goes_back_to_the_dashboard(owner, fake_podero, house):
    hp, inv = house
    owner.get(reverse("dashboard:home"))  # cached before: the removal must invalidate the lists
    response = owner.post(remove_url("heat-pump", hp["id"]))
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    assert writes(fake_podero) == [("delete_device", "heat-pumps", hp["id"])]
    page = html.unescape(owner.get(response["Location"]).content.decode())
    assert "Nibe S2125-8 was removed from your home." in page
    assert f'id="device-{hp["id"]}"' not in page and f'id="device-{inv["id"]}"' in page
    entry = AuditEntry.objects.get(action="device_remove")
    assert (entry.outcome, entry.device_id, entry.values) == ("ok", hp["id"], {"name": "Nibe S2125-8"})


def test_removing_with_htmx_redirects_the_whole_page(owner, fake_podero, house):
    hp, _ = house
    response = owner.post(remove_url("heat-pump", hp["id"]), **HTMX)
    assert response["HX-Redirect"] == reverse("dashboard:home")


def test_a_removal_podero_refused_leaves_the_device(owner, fake_podero, house):
    hp, _ = house
    fake_podero.write_error = podero.PoderoServerError(status=500, method="PUT", path="/heat-pumps/x", body=None)
    response = owner.post(remove_url("heat-pump", hp["id"]))
    assert response.status_code == 502 and "The device was not removed." in html.unescape(response.content.decode())
    assert AuditEntry.objects.get(action="device_remove").outcome == "failed"
    assert len(writes(fake_podero)) == 1


def test_another_homeowner_cannot_remove_a_device(client, fake_podero, house, other_homeowner):
    hp, _ = house
    fake_podero.calls.clear()
    intruder = Client()
    intruder.force_login(other_homeowner)
    assert intruder.get(remove_url("heat-pump", hp["id"])).status_code == 404
    assert intruder.post(remove_url("heat-pump", hp["id"])).status_code == 404
    assert writes(fake_podero) == []
    assert AuditEntry.objects.get(action="device_remove").outcome == "refused"
    assert Client().post(remove_url("heat-pump", hp["id"])).status_code == 302  # anonymous: to the login
    assert writes(fake_podero) == []


def test_remove_is_a_csrf_checked_post(fake_podero, house, homeowner):
    hp, _ = house
    strict = Client(enforce_csrf_checks=True)
    strict.login(email=homeowner.email, password=PASSWORD)
    assert strict.post(remove_url("heat-pump", hp["id"])).status_code == 403
    assert writes(fake_podero) == []


def test_a_page_left_open_stops_polling_after_a_while(owner, fake_podero):
    row = start(owner, fake_podero)
    DeviceOnboarding.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=1))
    poll = owner.get(status_url(row.ref), **HTMX)
    assert poll.status_code == 286 and "hx-trigger" not in poll.content.decode()
    page = owner.get(status_url(row.ref)).content.decode()
    assert "Podero has not reported a new device yet." in page and "noscript" not in page
    assert f'href="{status_url(row.ref)}">Check again' in page
    assert DeviceOnboarding.objects.get().state == "waiting"  # a later check still finds the device


def test_an_unanswered_removal_that_cannot_be_confirmed_is_checked_again_on_request(owner, fake_podero, house,
                                                                                    monkeypatch):
    hp, _ = house
    fake_podero.write_error = podero.PoderoWriteTimeout("PUT timed out")
    real_reread = fake_podero.get_device_including_deleted

    def down(**kw):
        raise podero.PoderoUnavailable("down")

    monkeypatch.setattr(fake_podero, "get_device_including_deleted", down)
    response = owner.post(remove_url("heat-pump", hp["id"]))
    check = reverse("dashboard:device-remove-check", args=["heat-pump", hp["id"]])
    text = html.unescape(response.content.decode())
    assert response.status_code == 202 and "nothing will be sent again" in text and f'href="{check}"' in text
    assert AuditEntry.objects.get(action="device_remove").outcome == "unknown"

    # Podero did apply it after all: the check finds deleted_at and resolves the audit row.
    fake_podero.write_error = None
    fake_podero.deleted.append(hp)
    monkeypatch.setattr(fake_podero, "get_device_including_deleted", real_reread)
    done = owner.get(check)
    assert done.status_code == 302
    assert "The device was removed from your home." in html.unescape(owner.get(done["Location"]).content.decode())
    entry = AuditEntry.objects.get(action="device_remove")
    assert entry.outcome == "ok" and entry.resolved_at is not None
    assert len(fake_podero.list_calls("delete_device")) == 1  # never sent again


def test_another_homeowner_has_nothing_to_check(client, fake_podero, house, other_homeowner):
    hp, _ = house
    fake_podero.calls.clear()
    intruder = Client()
    intruder.force_login(other_homeowner)
    response = intruder.get(reverse("dashboard:device-remove-check", args=["heat-pump", hp["id"]]))
    assert response.status_code == 302 and fake_podero.calls == []
