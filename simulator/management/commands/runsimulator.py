"""`manage.py runsimulator [ADDRPORT]`: serve only the Podero simulator, on its own port, threaded.

    python manage.py runsimulator 9000
    python manage.py runsimulator 127.0.0.1:9000 --latency-ms 200 --error-rate 0.05 --boost-delay 2

The process swaps ROOT_URLCONF for `simulator.standalone_urls` (the API at the host root, as on
app.podero.com) and drops the dashboard's middleware, so nothing of the product is needed to answer.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import run
from django.db.utils import DatabaseError
from django.urls import clear_url_caches, set_urlconf

from simulator import config, faults

ADDRPORT_RE = re.compile(r"^(?:(?P<addr>[^:\[\]]+|\[[0-9a-fA-F:]+\]):)?(?P<port>\d+)$")


class Command(BaseCommand):
    help = "Serve the Podero Partner API simulator alone (threaded), with optional faults."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "addrport", nargs="?", default="127.0.0.1:9000", help="[ADDR:]PORT (default 127.0.0.1:9000)"
        )
        parser.add_argument("--latency-ms", type=int, default=0, help="added to every API request")
        parser.add_argument("--error-rate", type=float, default=0.0, help="share of 5xx answers (0..1)")
        parser.add_argument(
            "--error-status", type=int, default=None, help="one status instead of 500/502/503/504"
        )
        parser.add_argument(
            "--timeout-rate", type=float, default=0.0, help="share of requests that hang first"
        )
        parser.add_argument("--timeout-s", type=float, default=30.0, help="how long a hanging request hangs")
        parser.add_argument("--rate-limit-rate", type=float, default=0.0, help="share of 429 answers")
        parser.add_argument("--retry-after", type=int, default=2, help="Retry-After seconds on a 429")
        parser.add_argument(
            "--expired-token-rate", type=float, default=0.0, help="share of tokens refused once"
        )
        parser.add_argument("--malformed", choices=faults.MALFORMED_MODES, default=None)
        parser.add_argument(
            "--malformed-rate", type=float, default=None, help="share of malformed 200s (default 1)"
        )
        parser.add_argument("--fault-path", default=None, help="regex: faults only for matching paths")
        parser.add_argument("--seed", type=int, default=1234, help="seed of the fault draws")
        parser.add_argument(
            "--boost-delay", type=float, default=None, help="seconds in boost_state=requested"
        )
        parser.add_argument("--token-ttl", type=int, default=None, help="access token lifetime in seconds")
        parser.add_argument(
            "--state-offset-s", type=int, default=None, help="device states change this many s past each 5 min"
        )
        parser.add_argument(
            "--state-spread-s", type=int, default=None,
            help="each device syncs at a phase of its own, 0..this many s past the grid's (300: spread over it)",
        )
        parser.add_argument("--no-demo", action="store_true", help="don't create the demo org/user/devices")

    def handle(self, *args: Any, **opts: Any) -> None:
        addr, port = _parse_addrport(opts["addrport"])
        _standalone_settings()
        config.configure(
            token_ttl_s=opts["token_ttl"], boost_delay_s=opts["boost_delay"], state_offset_s=opts["state_offset_s"],
            state_spread_s=opts["state_spread_s"],
        )
        faults.reset()
        fault_kw = _fault_options(opts)
        if fault_kw:
            faults.configure(**fault_kw)
        if not opts["no_demo"]:
            self._seed_demo()
        self.stdout.write(
            f"Podero simulator on http://{addr}:{port}/  (API /api/partners/v2.0/, token /oauth2/token/)"
        )
        if fault_kw:
            self.stdout.write(f"Faults: {fault_kw}")
        from django.core.wsgi import get_wsgi_application

        try:
            run(addr.strip("[]"), port, get_wsgi_application(), ipv6=addr.startswith("["), threading=True)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

    def _seed_demo(self) -> None:
        from simulator.demo import ensure_demo

        try:
            info = ensure_demo()
        except DatabaseError as exc:
            raise CommandError(f"database not ready ({exc}); run `manage.py migrate` first") from exc
        self.stdout.write(f"Demo org {info.org_id}, client {info.client_id}, user {info.user_id}")


def _parse_addrport(value: str) -> tuple[str, int]:
    match = ADDRPORT_RE.match(value)
    if not match:
        raise CommandError(f"{value!r} is not a port or address:port")
    return match["addr"] or "127.0.0.1", int(match["port"])


def _standalone_settings() -> None:
    """Only the simulator's URLs, no dashboard middleware, any Host header (it's a local test peer)."""
    settings.ROOT_URLCONF = "simulator.standalone_urls"
    settings.MIDDLEWARE = []
    settings.ALLOWED_HOSTS = ["*"]
    clear_url_caches()
    set_urlconf(None)


def _fault_options(opts: dict[str, Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    pairs = {
        "latency_ms": "latency_ms",
        "error_rate": "error_rate",
        "timeout_rate": "timeout_rate",
        "rate_limit_rate": "rate_limit_rate",
        "expired_token_rate": "expired_token_rate",
    }
    for opt, name in pairs.items():
        if opts[opt]:
            kw[name] = opts[opt]
    if opts["error_status"]:
        kw["error_status"] = opts["error_status"]
    if opts["timeout_rate"]:
        kw["timeout_s"] = opts["timeout_s"]
    if opts["rate_limit_rate"]:
        kw["retry_after"] = opts["retry_after"]
    if opts["malformed"]:
        kw["malformed"] = opts["malformed"]
        kw["malformed_rate"] = 1.0 if opts["malformed_rate"] is None else opts["malformed_rate"]
    if kw and opts["fault_path"]:
        kw["path"] = opts["fault_path"]
    if kw:
        kw["seed"] = opts["seed"]
    return kw
