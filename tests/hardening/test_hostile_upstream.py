"""Items 5 and 6: a hostile Podero cannot hold a page (one total deadline per call), blow up a worker
(a size cap after decompression) or crash a page (lone surrogates, JSON nested 200,000 deep)."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from devices import podero
from devices.payload import MAX_DEPTH, PayloadError, clean

from . import hostile as hostile_server
from .hostile import Hostile

pytestmark = pytest.mark.django_db
UID = "11111111-1111-4111-8111-111111111111"


@pytest.fixture
def hostile(settings):
    with Hostile() as server:
        settings.PODERO_BASE_URL = server.url
        settings.PODERO_TOTAL_TIMEOUT = 1.0
        settings.PODERO_READ_TIMEOUT = 5.0
        settings.PODERO_MAX_RESPONSE_BYTES = 1024 * 1024
        podero.reset_client()
        yield server
        podero.reset_client()


def call_in_thread(fn):
    """Run fn; the test fails (instead of hanging) when it does not return within a generous bound."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the call did not end: no total deadline"
    return box


def list_hps():
    return podero.get_client().list_devices(user_id=UID, kind="heat-pumps")


@pytest.mark.parametrize("mode", ["trickle", "trickle-headers"])
def test_a_trickling_answer_ends_at_the_total_deadline(hostile, mode):
    hostile.mode = mode
    box = call_in_thread(list_hps)
    assert isinstance(box.get("error"), podero.PoderoTimeout)
    assert hostile.bytes_sent < 1000  # stopped long before the 100 kB body was through


def test_the_page_answers_with_last_known_data_when_upstream_trickles(hostile, client, homeowner):
    client.force_login(homeowner)
    assert hostile.device["id"] in client.get(reverse("dashboard:home")).content.decode()
    from tests.resilience.helpers import age_entries

    age_entries(homeowner.podero, 120)
    hostile.mode = "trickle"
    response = client.get(reverse("dashboard:home") + "?refresh=1")
    html = response.content.decode()
    assert response.status_code == 200 and hostile.device["id"] in html and "not reachable" in html


def test_a_decompression_bomb_is_refused_as_a_bad_response(hostile):
    hostile_server._bomb()  # build the 64 MB bomb before the clock runs: on a busy machine that alone can take a second
    hostile.mode = "bomb"
    box = call_in_thread(list_hps)
    assert isinstance(box.get("error"), podero.PoderoBadResponse)
    assert "bytes" in str(box["error"])


def test_json_nested_200000_deep_is_a_bad_response(hostile, client, homeowner):
    hostile.mode = "deep"
    box = call_in_thread(list_hps)
    assert isinstance(box.get("error"), podero.PoderoBadResponse)
    client.force_login(homeowner)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200 and "could not read" in response.content.decode()


def test_lone_surrogates_render_everywhere(hostile, client, homeowner, django_user_model):
    hostile.device["note_from_upstream"] = "\ud800 lone"
    hostile.device["device_model"]["manufacturer"] = "Ni\udfffbe"
    client.force_login(homeowner)
    pages = [reverse("dashboard:home"),
             reverse("dashboard:device_detail", args=["heat-pump", hostile.device["id"]])]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert "Ni\ufffdbe" in response.content.decode()
    response = client.get(reverse("dashboard:home"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    staff = django_user_model.objects.create_superuser(email="boss@partner.example", password="x" * 12)
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_user_change", args=[homeowner.pk]))
    assert response.status_code == 200 and "Ni\ufffdbe" in response.content.decode()


def test_clean_keeps_valid_text_and_bounds_depth():
    assert clean({"a": ["ü😀", {"b": 1.5, "c": None}]}) == {"a": ["ü😀", {"b": 1.5, "c": None}]}
    assert clean({"\ud800": "x\udfff"}) == {"\ufffd": "x\ufffd"}
    nested: list = []
    for _ in range(MAX_DEPTH + 1):
        nested = [nested]
    with pytest.raises(PayloadError):
        clean(nested)
