"""Every fault the simulator can inject produces the documented client behaviour (fact sheet §6, podero.py).

The simulator runs over real HTTP (live_server); `simulator.stats` counts what actually reached it,
`podero.local_stats` what the client sent (a timed-out request is recorded by the simulator only when
its sleep ends).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from devices import podero, services
from devices.podero import KINDS

from tests.conftest import settle_background

from .helpers import NOT_REACHABLE_NOTICE, age_entries, page_text, wait_until

HP = "heat-pumps"


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch):
    """Same retry logic, shorter sleeps (the backoff is read at call time)."""
    monkeypatch.setattr(podero.client, "BACKOFF_BASE_S", 0.01)


@pytest.fixture
def client_(sim):
    return podero.get_client()


def _gets(stats, kind=HP) -> int:
    return stats.count(method="GET", path_contains="/" + kind)


def _sent(status: int | None = None) -> list[podero.CallRecord]:
    return [r for r in podero.local_stats.history if r.path != podero.TOKEN_PATH
            and (status is None or r.status == status)]


def test_added_latency_is_still_served(sim, client_):
    from simulator import faults, stats

    faults.configure(latency_ms=150)
    items = client_.list_devices(user_id=sim.user_id, kind=HP)
    assert [d["id"] for d in items] == [sim.heat_pump_id]
    assert _gets(stats) == 1
    assert _sent()[0].duration_ms >= 150


def test_one_5xx_on_a_get_is_retried_and_succeeds(sim, client_):
    from simulator import faults, stats

    faults.configure(error_count=1, error_status=503)
    assert len(client_.list_devices(user_id=sim.user_id, kind=HP)) == 1
    assert stats.count(method="GET", path_contains="/heat-pumps", status=503) == 1
    assert stats.count(method="GET", path_contains="/heat-pumps", status=200) == 1
    assert client_.breaker.state()["state"] == "closed"


def test_persistent_5xx_opens_the_breaker_which_then_fails_fast(sim, client_):
    from simulator import faults, stats

    faults.configure(error_rate=1.0, error_status=503)
    for _ in range(podero.BREAKER_THRESHOLD):
        with pytest.raises(podero.PoderoServerError):
            client_.list_devices(user_id=sim.user_id, kind=HP)
    reached = _gets(stats)
    assert reached == podero.BREAKER_THRESHOLD * (1 + podero.GET_RETRIES)  # each call tried three times
    assert client_.breaker.state()["state"] == "open"
    for _ in range(5):
        with pytest.raises(podero.PoderoCircuitOpen) as caught:
            client_.list_devices(user_id=sim.user_id, kind=HP)
    assert _gets(stats) == reached  # failed fast: nothing reached the simulator
    assert not caught.value.rate_limited
    assert services.describe_failure(caught.value) == "Podero is not reachable."


def test_500_is_not_retried(sim, client_):
    from simulator import faults, stats

    faults.configure(error_count=1, error_status=500)
    with pytest.raises(podero.PoderoServerError):
        client_.list_devices(user_id=sim.user_id, kind=HP)
    assert _gets(stats) == 1


@pytest.mark.django_db(transaction=True)
def test_open_breaker_serves_last_known_data_on_the_page(sim, demo_homeowner, client):
    from simulator import faults, stats

    client.force_login(demo_homeowner)
    assert client.get(reverse("dashboard:home")).status_code == 200
    settle_background()  # the charge policies the cards asked for in the background
    faults.configure(error_rate=1.0, error_status=503)
    podero.get_client().breaker.open_for(podero.BREAKER_COOLDOWN_S)  # as after BREAKER_THRESHOLD failures
    age_entries(demo_homeowner.podero, 5 * 60)
    before = stats.count(method="GET")
    response = client.get(reverse("dashboard:home") + "?refresh=1")
    text = page_text(response)
    assert response.status_code == 200
    assert "Nibe S2125-8" in text and "Tesla Model 3" in text
    assert NOT_REACHABLE_NOTICE.search(text), text[:600]
    assert stats.count(method="GET") == before  # the breaker kept every call at home


def test_timeouts_are_retried_then_reported(sim, settings):
    from simulator import faults, stats

    settings.PODERO_READ_TIMEOUT = 0.3
    podero.reset_client()
    client_ = podero.get_client()
    client_.tokens.get()  # the token endpoint is not part of this fault
    faults.configure(timeout_count=1, timeout_s=0.6)
    assert len(client_.list_devices(user_id=sim.user_id, kind=HP)) == 1
    assert [r.status for r in _sent()] == [0, 200]  # one timed out, the retry answered

    podero.local_stats.reset()
    faults.configure(timeout_count=1 + podero.GET_RETRIES, timeout_s=0.6)
    with pytest.raises(podero.PoderoTimeout):
        client_.list_devices(user_id=sim.user_id, kind=HP)
    assert [r.status for r in _sent()] == [0] * (1 + podero.GET_RETRIES)
    # let the simulator finish the abandoned requests while this test still owns the database
    wait_until(lambda: _gets(stats) == 2 + 1 + podero.GET_RETRIES)


def test_short_retry_after_on_a_get_is_waited_out(sim, client_):
    from simulator import faults, stats

    faults.configure(rate_limit_count=1, retry_after=1)
    assert len(client_.list_devices(user_id=sim.user_id, kind=HP)) == 1
    assert stats.count(method="GET", path_contains="/heat-pumps", status=429) == 1
    assert stats.count(method="GET", path_contains="/heat-pumps", status=200) == 1
    assert client_.breaker.state()["state"] == "closed"


def test_long_retry_after_raises_and_pauses_that_homeowners_calls_for_that_long(sim, client_):
    from simulator import faults, stats

    faults.configure(rate_limit_count=1, retry_after=30)
    with pytest.raises(podero.PoderoRateLimited) as caught:
        client_.list_devices(user_id=sim.user_id, kind=HP)
    assert caught.value.retry_after == 30
    assert client_.breaker.state()["state"] == "closed"  # one homeowner's 429 is not everyone's
    with pytest.raises(podero.PoderoCircuitOpen) as paused:
        client_.list_devices(user_id=sim.user_id, kind="inverters")
    assert paused.value.rate_limited
    assert services.describe_failure(paused.value) == "Podero is busy; we'll try again in a moment."
    assert stats.count(method="GET") == 1


def test_429_on_a_write_is_not_retried(sim, client_):
    from simulator import faults, stats

    faults.configure(rate_limit_count=1, retry_after=1, path=r"/boost")
    with pytest.raises(podero.PoderoRateLimited):
        client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    assert stats.count(method="POST", path_contains="/boost") == 1


def test_expired_token_is_renewed_transparently_with_one_token_request(sim, client_):
    from simulator import faults, stats

    client_.list_devices(user_id=sim.user_id, kind=HP)
    assert stats.count(kind="token") == 1
    old = client_.tokens.get()
    faults.configure(expired_token_count=1)
    assert len(client_.list_devices(user_id=sim.user_id, kind=HP)) == 1
    assert stats.count(kind="token") == 2  # exactly one renewal
    assert stats.count(method="GET", path_contains="/heat-pumps", status=401) == 1
    assert client_.tokens.get() != old
    assert client_.breaker.state()["state"] == "closed"


def test_a_token_refused_twice_is_an_auth_error_not_a_loop(sim, client_):
    from simulator import faults, stats

    faults.configure(expired_token_count=2)
    with pytest.raises(podero.PoderoAuthError):
        client_.list_devices(user_id=sim.user_id, kind=HP)
    assert stats.count(kind="token") == 2 and _gets(stats) == 2


def test_truncated_payload_is_a_bad_response(sim, client_):
    from simulator import faults

    faults.configure(malformed="truncated")
    with pytest.raises(podero.PoderoBadResponse):
        client_.list_devices(user_id=sim.user_id, kind=HP)
    assert client_.breaker.state()["state"] == "closed"  # Podero answered; it is not down


@pytest.mark.django_db(transaction=True)
def test_truncated_payload_shows_a_message_not_a_500(sim, demo_homeowner, client):
    from simulator import faults

    faults.configure(malformed="truncated")
    client.force_login(demo_homeowner)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    assert "Podero sent data we could not read" in page_text(response)


@pytest.mark.django_db(transaction=True)
def test_wrong_types_render_cards_with_unknown_values(sim, demo_homeowner, client):
    from simulator import faults

    faults.configure(malformed="wrong_types", seed=7)
    client.force_login(demo_homeowner)
    response = client.get(reverse("dashboard:home"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Tesla Model 3" in text or "Unknown electric vehicle" in text
    assert "unknown" in text.lower()
    overview = services.device_overview(link=demo_homeowner.podero)
    assert overview.error is None and len(overview.devices) == 4


def test_a_write_answered_503_is_raised_once_and_never_retried(sim, client_):
    from simulator import faults, stats

    faults.configure(error_count=3, error_status=503, path=r"/boost")
    with pytest.raises(podero.PoderoServerError):
        client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    assert stats.count(method="POST", path_contains="/boost") == 1


def test_a_write_that_times_out_is_not_retried(sim, settings):
    from simulator import faults, stats

    settings.PODERO_READ_TIMEOUT = 0.3
    podero.reset_client()
    client_ = podero.get_client()
    client_.tokens.get()
    faults.configure(timeout_count=3, timeout_s=0.6, path=r"/boost")
    with pytest.raises(podero.PoderoTimeout):
        client_.start_boost(user_id=sim.user_id, device_id=sim.ev_id)
    assert [r.method for r in _sent()] == ["POST"]
    wait_until(lambda: stats.count(method="POST", path_contains="/boost") == 1)


def test_overview_under_latency_fetches_each_kind_once(sim, client_):
    from simulator import faults, stats

    faults.configure(latency_ms=100)
    from types import SimpleNamespace

    link = SimpleNamespace(org_id=sim.org_id, podero_user_id=sim.user_id)
    overview = services.device_overview(link=link)
    assert overview.error is None and len(overview.devices) == 4
    for kind in KINDS:
        assert _gets(stats, kind) == 1
