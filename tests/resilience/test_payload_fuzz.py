"""Property-based: whatever Podero sends in a device list, parsing never raises and the page renders.

Payloads start from the fact sheet's examples and get random nulls, wrong types, unknown enum values,
missing fields and nested junk. The home page is rendered through the test client (the real view,
the real templates), so a card that trips over a value fails here rather than in a homeowner's browser.
"""

from __future__ import annotations

import math

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.podero import KINDS
from devices.schemas import Device, parse_device
from tests import payloads
from tests.isolation import clear_own_keys

from .helpers import page_text

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "unknown", "mystery_value", "yes", "no", "NaN", "-1", "1e309", "0001-01-01T00:00:00Z",
                     "2025-13-45T99:99:99Z", "25:61", "javascript:alert(1)", "<script>x</script>", "null", "ok",
                     "requested", "ongoing", "unavailable", "available", "min", "low", "max", "{}", "[]",
                     # lone UTF-16 surrogates (valid JSON escapes, unencodable as UTF-8)
                     "\ud800", "Tesla \udfff", "\udbff\udbff"]),
    st.text(max_size=12),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
)
def _deep(depth: int) -> list:
    nested: list = []
    for _ in range(depth):
        nested = [nested]
    return nested


junk = st.one_of(
    st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                  st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                 max_leaves=6),
    st.sampled_from([50, 65, 300]).map(_deep),  # deeper than any Podero payload (the client refuses 200,000)
)


@st.composite
def mangled(draw, kind: str):
    """One device payload of `kind`, each top-level field kept, dropped, nulled or replaced by junk."""
    payload = payloads.BUILDERS[kind]()
    for key in list(payload):
        if key == "id":
            continue
        choice = draw(st.sampled_from(["keep", "keep", "drop", "null", "junk"]))
        if choice == "drop":
            del payload[key]
        elif choice == "null":
            payload[key] = None
        elif choice == "junk":
            payload[key] = draw(junk)
    payload.update(draw(st.dictionaries(st.text(min_size=1, max_size=10), junk, max_size=2)))  # unknown fields
    return payload


def device_lists(kind: str):
    return st.lists(st.one_of(mangled(kind), junk), max_size=3)


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(KINDS), raw=st.one_of(mangled("heat-pumps"), mangled("electric-vehicles"),
                                                   mangled("inverters"), junk))
def test_parse_device_never_raises(kind, raw):
    device = parse_device(kind, raw)
    assert isinstance(device, Device)
    # the display rules the cards use must not raise either
    _ = (device.name, device.needs_attention, device.resolution_url, device.has_consumption, device.is_state_stale())
    for attr in ("optimization_label", "charge_status_label", "time_remaining", "boost_unavailable_reason",
                 "target_percent", "surplus_w", "has_battery"):
        if hasattr(type(device), attr):
            getattr(device, attr)
    for number in (getattr(device, "battery_level", None), getattr(device, "power_w", None)):
        assert number is None or math.isfinite(number)


@pytest.mark.django_db
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hps=device_lists("heat-pumps"), evs=device_lists("electric-vehicles"), invs=device_lists("inverters"))
def test_home_page_renders_whatever_the_payloads(client, homeowner, fake_podero, hps, evs, invs):
    clear_own_keys()  # every example is a cold load (the fixtures are shared between examples)
    client.force_login(homeowner)
    uid = str(homeowner.podero.podero_user_id)
    fake_podero.devices.clear()
    for kind, items in zip(KINDS, (hps, evs, invs), strict=True):
        # what PoderoClient.list_devices hands on: the objects of the array (it drops non-object rows)
        fake_podero.devices[(uid, kind)] = [item for item in items if isinstance(item, dict)]
    for htmx in (False, True):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.get(reverse("dashboard:home"), **headers)
        assert response.status_code == 200
        text = page_text(response)
        assert "Traceback" not in text


def test_wrong_types_render_unknown_values_not_a_crash(client, homeowner, fake_podero, db):
    """The simulator's `wrong_types` mode in miniature: numbers as strings, booleans as words, odd enums."""
    uid = homeowner.podero.podero_user_id
    fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle(
        battery_level="lots", is_plugged_in="perhaps", is_charging=None, boost_state="mystery_value",
        driving_range={"km": 1}, charge_deadline_at=42, connection_status="mystery_value"))
    fake_podero.add(uid, "heat-pumps", payloads.heat_pump(
        current_power_consumption_w="NaN", is_smart_optimization_active="yes-ish", current_mode=["low"],
        indoor_actual_temperature=None, device_model="Nibe"))
    fake_podero.add(uid, "inverters", payloads.inverter(current_solar_production_w=None, household_consumption_w="x",
                                                         solar_surplus_w=float("inf")))
    client.force_login(homeowner)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    text = page_text(response).lower()
    assert "unknown" in text
    assert "tesla model 3" in text  # the car is still shown by name
