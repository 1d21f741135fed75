"""Every route a homeowner or partner staff can reach, with the methods it accepts.

One list for the suite-wide checks (tests/test_endpoints.py): CSRF on every POST, the methods each
route accepts, and no secret or token on any page or partial. `test_every_route_is_listed` walks
Django's URL resolver and fails when a route of ours is not here, so a new endpoint cannot ship
without these checks.

URLs are built from a "world": anything with the ids of a homeowner's own devices and of the rows
staff look at (`hp`, `ev`, `inverter`, `homeowner_pk`, `audit_pk`), so the same list runs against the
in-memory fake and against the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.urls import URLPattern, URLResolver, get_resolver, reverse


class World(Protocol):
    hp: str
    ev: str
    inverter: str
    homeowner_pk: int
    audit_pk: int
    onboarding_ref: str  # the homeowner's own "Add a device" session (ours, not Podero's id)
    session_day: str  # an EV charging session of theirs: its UTC plug-in day and id
    session_id: str
    member_pk: int  # a person the homeowner invited into their home (HouseholdMember)
    invite_pk: int  # an open invitation of theirs, and its token (the emailed link)
    invite_token: str
    staff_pk: int  # a partner staff account (the staff list)
    resume_pk: int  # a timed resume ("Pause until…") of the homeowner's


HOMEOWNER, STAFF, ANYONE = "homeowner", "staff", "anyone"


@dataclass(frozen=True)
class Endpoint:
    name: str  # the namespaced URL name
    who: str  # the persona that reaches it: HOMEOWNER, STAFF or ANYONE
    methods: tuple[str, ...]  # what the view accepts; any other of GET/POST is a 405
    kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}
    label: str = ""  # tells apart several entries of one name (e.g. the three device kinds)
    query: str = ""  # GET query string, e.g. "refresh=1"
    htmx: bool = False  # the page has an htmx partial too (GET with HX-Request)
    data: dict[str, Any] = field(default_factory=dict)  # a POST body the view would accept
    refused: bool = False  # the view refuses everyone with 403 by design (the read-only audit log)

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name

    def url(self, world: Any) -> str:
        path = reverse(self.name, kwargs=self.kwargs(world))
        return f"{path}?{self.query}" if self.query else path


def _device(slug: str, attr: str) -> Callable[[Any], dict[str, Any]]:
    return lambda w: {"kind": slug, "device_id": getattr(w, attr)}


def _ev(w: Any) -> dict[str, Any]:
    return {"device_id": w.ev}


def _user(w: Any) -> dict[str, Any]:
    return {"object_id": w.homeowner_pk}


def _audit(w: Any) -> dict[str, Any]:
    return {"object_id": w.audit_pk}


def _resume(w: Any) -> dict[str, Any]:
    return {"object_id": w.resume_pk}


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")
SCHEDULE = {**{f"{d}_percentage": "80" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            **{f"{d}_deadline": "07:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "timezone": "Europe/Vienna", "action": "save"}

ENDPOINTS: list[Endpoint] = [
    # --- Homeowner pages and partials
    Endpoint("dashboard:home", HOMEOWNER, GET, htmx=True),
    Endpoint("dashboard:home", HOMEOWNER, GET, label="refresh", query="refresh=1", htmx=True),
    Endpoint("dashboard:healthz", ANYONE, GET),
    Endpoint("dashboard:brand-css", ANYONE, GET),
    Endpoint("dashboard:manifest", ANYONE, GET),
    Endpoint("dashboard:service-worker", ANYONE, GET),
    Endpoint("dashboard:offline", ANYONE, GET),
    Endpoint("dashboard:device_detail", HOMEOWNER, GET, _device("heat-pump", "hp"), label="heat-pump"),
    Endpoint("dashboard:device_detail", HOMEOWNER, GET, _device("electric-vehicle", "ev"), label="ev"),
    Endpoint("dashboard:device_detail", HOMEOWNER, GET, _device("inverter", "inverter"), label="inverter"),
    Endpoint("accounts:settings", HOMEOWNER, BOTH,
             data={"timezone": "Europe/Vienna", "notify_attention": "on", "language": ""}),
    Endpoint("accounts:sessions-end", HOMEOWNER, POST),
    Endpoint("accounts:delete", HOMEOWNER, POST, data={"password": "not-the-password"}),
    Endpoint("favicon", ANYONE, GET),
    Endpoint("accounts:language", ANYONE, POST, data={"language": "de", "next": "/"}),
    # --- The household (the owner invites and removes people; the invitee accepts)
    Endpoint("accounts:household-invite", HOMEOWNER, POST, data={"email": "new@example.com", "role": "viewer"}),
    Endpoint("accounts:household-remove", HOMEOWNER, POST, lambda w: {"member_id": w.member_pk}),
    Endpoint("accounts:household-revoke", HOMEOWNER, POST, lambda w: {"invite_id": w.invite_pk}),
    Endpoint("accounts:household-join", HOMEOWNER, BOTH, lambda w: {"token": w.invite_token}),
    # --- Homeowner controls
    Endpoint("dashboard:optimization", HOMEOWNER, POST, _device("heat-pump", "hp"), label="heat-pump",
             data={"active": "0"}),
    Endpoint("dashboard:optimization", HOMEOWNER, POST, _device("inverter", "inverter"), label="inverter",
             data={"active": "0"}),
    Endpoint("dashboard:device-reconnect", HOMEOWNER, POST, _device("electric-vehicle", "ev"),
             data={"action": "0"}),
    Endpoint("dashboard:write-confirm", HOMEOWNER, GET, _device("electric-vehicle", "ev"), htmx=True),
    Endpoint("dashboard:ev-boost", HOMEOWNER, POST, _ev),
    Endpoint("dashboard:ev-boost-cancel", HOMEOWNER, POST, _ev),
    Endpoint("dashboard:ev-boost-poll", HOMEOWNER, GET, _ev, htmx=True),
    Endpoint("dashboard:ev-deadline", HOMEOWNER, BOTH, _ev, htmx=True,
             data={"enabled": "1", "minimum_charge_limit": "70", "charge_deadline_at": "06:30"}),
    Endpoint("dashboard:ev-schedule", HOMEOWNER, BOTH, _ev, htmx=True, data=SCHEDULE),
    # --- History, savings, sessions
    Endpoint("dashboard:savings", HOMEOWNER, GET, htmx=True),
    Endpoint("dashboard:history-csv", HOMEOWNER, GET, _device("heat-pump", "hp"),
             query="range=day&chart=consumption"),
    Endpoint("dashboard:ev-sessions", HOMEOWNER, GET, _ev),
    Endpoint("dashboard:ev-sessions-csv", HOMEOWNER, GET, _ev),
    Endpoint("dashboard:ev-session", HOMEOWNER, GET,
             lambda w: {"device_id": w.ev, "day": w.session_day, "session_id": w.session_id}),
    # --- Adding and removing devices
    Endpoint("dashboard:device-add", HOMEOWNER, POST),
    Endpoint("dashboard:device-add-status", HOMEOWNER, GET, lambda w: {"ref": w.onboarding_ref}, htmx=True),
    Endpoint("dashboard:device-add-cancelled", HOMEOWNER, GET, lambda w: {"ref": w.onboarding_ref}),
    Endpoint("dashboard:device-remove", HOMEOWNER, BOTH, _device("inverter", "inverter")),
    Endpoint("dashboard:device-remove-check", HOMEOWNER, GET, _device("inverter", "inverter")),
    # --- Partner staff: our admin pages and the admin of our models
    Endpoint("admin:login", ANYONE, BOTH),
    Endpoint("admin:index", STAFF, BOTH),
    Endpoint("admin:app_list", STAFF, BOTH, lambda w: {"app_label": "accounts"}, label="accounts"),
    Endpoint("admin:app_list", STAFF, BOTH, lambda w: {"app_label": "devices"}, label="devices"),
    Endpoint("admin:podero_health", STAFF, BOTH),
    Endpoint("admin:accounts_user_changelist", STAFF, BOTH,
             data={"action": "refresh_devices", "_selected_action": "0"}),
    Endpoint("admin:accounts_user_changelist", STAFF, BOTH, label="search", query="q=owner"),
    Endpoint("admin:accounts_user_add", STAFF, BOTH),
    Endpoint("admin:accounts_user_add_homeowner", STAFF, BOTH),
    Endpoint("admin:accounts_user_change", STAFF, BOTH, _user),
    Endpoint("admin:accounts_user_history", STAFF, BOTH, _user),
    Endpoint("admin:accounts_user_delete", STAFF, BOTH, _user),
    Endpoint("admin:accounts_user_link_podero", STAFF, BOTH, _user),
    Endpoint("admin:accounts_user_refresh_devices", STAFF, POST, _user),
    Endpoint("admin:accounts_user_view_as", STAFF, GET, _user),
    Endpoint("admin:accounts_staffuser_changelist", STAFF, BOTH),
    Endpoint("admin:accounts_staffuser_add", STAFF, BOTH),
    Endpoint("admin:accounts_staffuser_change", STAFF, BOTH, lambda w: {"object_id": w.staff_pk}),
    Endpoint("admin:accounts_staffuser_history", STAFF, BOTH, lambda w: {"object_id": w.staff_pk}),
    Endpoint("admin:accounts_staffuser_delete", STAFF, BOTH, lambda w: {"object_id": w.staff_pk}),
    Endpoint("admin:accounts_staffuser_password_change", STAFF, BOTH, lambda w: {"id": w.staff_pk}),
    Endpoint("admin:auth_user_password_change", STAFF, BOTH, lambda w: {"id": w.homeowner_pk}),
    Endpoint("admin:devices_auditentry_changelist", STAFF, BOTH),
    Endpoint("admin:devices_auditentry_export", STAFF, GET),
    Endpoint("admin:devices_auditentry_export", STAFF, GET, label="csv", query="start=2026-01-01&end=2026-12-31"),
    Endpoint("admin:devices_auditentry_change", STAFF, BOTH, _audit),
    Endpoint("admin:devices_auditentry_history", STAFF, BOTH, _audit),
    Endpoint("admin:devices_auditentry_add", STAFF, BOTH, refused=True),
    Endpoint("admin:devices_auditentry_delete", STAFF, BOTH, _audit, refused=True),
    Endpoint("admin:devices_scheduledresume_changelist", STAFF, BOTH),
    Endpoint("admin:devices_scheduledresume_change", STAFF, BOTH, _resume),
    Endpoint("admin:devices_scheduledresume_history", STAFF, BOTH, _resume),
    Endpoint("admin:devices_scheduledresume_add", STAFF, BOTH, refused=True),
    Endpoint("admin:devices_scheduledresume_delete", STAFF, BOTH, _resume, refused=True),
]

POSTS = [e for e in ENDPOINTS if "POST" in e.methods]
PAGES = [e for e in ENDPOINTS if "GET" in e.methods]

# --- Which routes are ours ------------------------------------------------------------------------
OUR_PACKAGES = ("dashboard", "accounts", "devices")
OUR_NAMESPACES = ("dashboard", "accounts")
# Admin pages of our own models (ModelAdmin's stock views live in django.contrib, the models are ours).
OUR_ADMIN_PREFIXES = ("accounts_", "devices_")
# Django's admin (views of its own, and Group/EmailAddress), allauth's login pages and the simulator
# (a stand-in for Podero, not our product) are checked by their own tests, not by this list.
NOT_OURS_INCLUDES = ("allauth.", "simulator.")


@dataclass(frozen=True)
class Route:
    name: str | None  # namespaced, e.g. "dashboard:ev-boost"
    pattern: str
    module: str


def walk(patterns: list[Any] | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every route Django resolves, recursively (includes, namespaces), with its view's module."""
    for item in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(item, URLResolver):
            module = getattr(item.urlconf_module, "__name__", "")
            if any(module.startswith(skip) for skip in NOT_OURS_INCLUDES):
                continue
            inner = ":".join(p for p in (namespace, item.namespace or "") if p)
            yield from walk(item.url_patterns, prefix + str(item.pattern), inner)
        elif isinstance(item, URLPattern):
            callback = item.callback
            module = getattr(callback, "__module__", "") or ""
            name = f"{namespace}:{item.name}" if namespace and item.name else item.name
            yield Route(name=name, pattern=prefix + str(item.pattern), module=module)


def is_ours(route: Route) -> bool:
    namespace = route.name.split(":")[0] if route.name and ":" in route.name else ""
    if route.module.split(".")[0] in OUR_PACKAGES:
        return True
    if namespace in OUR_NAMESPACES:
        return True
    bare = route.name.split(":", 1)[-1] if route.name else ""
    return namespace == "admin" and bare.startswith(OUR_ADMIN_PREFIXES)


def our_routes() -> list[Route]:
    return [route for route in walk() if is_ours(route)]
