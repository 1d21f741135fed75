"""`manage.py runsimulator`: argument parsing, fault flags and the standalone URLconf (no server started)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import clear_url_caches, resolve, set_urlconf

from simulator import config, faults
from simulator.management.commands import runsimulator


def test_addrport_parsing() -> None:
    assert runsimulator._parse_addrport("9000") == ("127.0.0.1", 9000)
    assert runsimulator._parse_addrport("0.0.0.0:9001") == ("0.0.0.0", 9001)
    with pytest.raises(CommandError):
        runsimulator._parse_addrport("localhost:")


def test_standalone_urls_serve_the_api_at_the_root() -> None:
    urlconf = "simulator.standalone_urls"
    assert resolve("/oauth2/token/", urlconf=urlconf).url_name == "token"
    match = resolve(f"/api/partners/v2.0/org/{'0' * 8}-0000-0000-0000-{'0' * 12}/users", urlconf=urlconf)
    assert match.view_name == "simulator:users"


@pytest.mark.django_db
def test_command_configures_faults_settings_and_serves_threaded(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run(addr: str, port: int, handler: Any, *, ipv6: bool, threading: bool) -> None:
        from django.conf import settings

        seen.update(
            addr=addr,
            port=port,
            threading=threading,
            urlconf=settings.ROOT_URLCONF,
            faults=faults.current(),
            config=config.snapshot(),
        )

    monkeypatch.setattr(runsimulator, "run", fake_run)
    try:
        with override_settings():  # the command rewrites settings for its process; keep ours
            call_command(
                "runsimulator",
                "127.0.0.1:9123",
                "--latency-ms",
                "20",
                "--error-rate",
                "0.1",
                "--rate-limit-rate",
                "0.05",
                "--retry-after",
                "4",
                "--malformed",
                "truncated",
                "--boost-delay",
                "2",
                "--token-ttl",
                "120",
                "--state-spread-s",
                "300",
                "--timeout-rate",
                "0.01",
                "--timeout-s",
                "9",
            )
    finally:
        clear_url_caches()
        set_urlconf(None)
    assert (seen["addr"], seen["port"], seen["threading"]) == ("127.0.0.1", 9123, True)
    assert seen["urlconf"] == "simulator.standalone_urls"
    f = seen["faults"]
    assert (f["latency_ms"], f["error_rate"], f["rate_limit_rate"], f["retry_after"]) == (20, 0.1, 0.05, 4)
    assert (f["malformed"], f["malformed_rate"], f["timeout_rate"], f["timeout_s"]) == (
        "truncated",
        1.0,
        0.01,
        9.0,
    )
    assert seen["config"] == {"token_ttl_s": 120, "boost_delay_s": 2.0, "state_offset_s": 0, "state_spread_s": 300}
