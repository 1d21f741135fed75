"""The IDOR matrix: owner / member / viewer / another household / anonymous × every homeowner endpoint
(dashboard/homeowner_urls.py, dashboard/control_urls.py, accounts/urls.py), GET and POST.

Each cell asserts the status code, and every refusal (403, 404, login) asserts that nothing was sent
upstream: zero write calls to the fake Podero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import HouseholdInvite, HouseholdMember
from accounts.services import household_invite_create
from devices.models import AuditEntry

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "member", "viewer", "other", "anonymous")
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCHEDULE = {**{f"{d}_percentage": "80" for d in WEEK}, **{f"{d}_deadline": "07:00" for d in WEEK},
            "timezone": "Europe/Vienna", "action": "save"}
LOGIN = "login"  # a redirect to the login page
OK = "ok"  # the person's own success: exactly the endpoint's `ok` status


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Any  # (household) -> str
    data: Any = None  # (household) -> dict
    htmx: bool = False
    # expected per persona; "owner" and "member" default to OK, "viewer" 403, "other" 404, "anonymous" LOGIN
    expect: tuple[tuple[str, Any], ...] = ()
    writes: bool = False  # a success sends exactly one upstream write
    ok: int = 200  # the status of a success

    def expected(self, persona: str) -> Any:
        default = {"owner": OK, "member": OK, "viewer": 403, "other": 404, "anonymous": LOGIN}[persona]
        return dict(self.expect).get(persona, default)


def _u(name: str, *args: Any) -> str:
    return reverse(name, args=args)


def _ev(h): return h.ev["id"]


READ_ALL = (("viewer", OK),)
FOREIGN_REF = "0d0d0d0d-0000-4000-8000-000000000000"  # an onboarding session that is nobody's here
ENDPOINTS = [
    # dashboard/homeowner_urls.py
    Endpoint("home", "GET", lambda h: _u("dashboard:home"), expect=(("viewer", OK), ("other", OK))),
    Endpoint("home (htmx poll)", "GET", lambda h: _u("dashboard:home"), htmx=True,
             expect=(("viewer", OK), ("other", OK), ("anonymous", "hx-login"))),
    Endpoint("device detail", "GET", lambda h: _u("dashboard:device_detail", "electric-vehicle", _ev(h)),
             expect=READ_ALL),
    Endpoint("healthz", "GET", lambda h: _u("dashboard:healthz"),
             expect=(("viewer", OK), ("other", OK), ("anonymous", OK))),
    # dashboard/control_urls.py
    Endpoint("optimization", "POST", lambda h: _u("dashboard:optimization", "heat-pump", h.hp["id"]),
             data=lambda h: {"active": "0"}, writes=True, ok=302),
    Endpoint("reconnect", "POST", lambda h: _u("dashboard:device-reconnect", "electric-vehicle", _ev(h)),
             data=lambda h: {}, writes=True),
    Endpoint("write confirm", "GET", lambda h: _u("dashboard:write-confirm", "electric-vehicle", _ev(h)), ok=302),
    Endpoint("boost", "POST", lambda h: _u("dashboard:ev-boost", _ev(h)), data=lambda h: {}, writes=True, ok=302),
    Endpoint("boost cancel", "POST", lambda h: _u("dashboard:ev-boost-cancel", _ev(h)), data=lambda h: {},
             writes=True, ok=302),
    Endpoint("boost status", "GET", lambda h: _u("dashboard:ev-boost-poll", _ev(h)), htmx=True,
             expect=(("anonymous", "hx-login"),), ok=286),  # 286: not boosting, htmx stops polling
    Endpoint("deadline page", "GET", lambda h: _u("dashboard:ev-deadline", _ev(h))),
    Endpoint("deadline", "POST", lambda h: _u("dashboard:ev-deadline", _ev(h)),
             data=lambda h: {"enabled": "1", "minimum_charge_limit": "70", "charge_deadline_at": "06:30"},
             writes=True, ok=302),
    Endpoint("schedule page", "GET", lambda h: _u("dashboard:ev-schedule", _ev(h))),
    Endpoint("schedule", "POST", lambda h: _u("dashboard:ev-schedule", _ev(h)), data=lambda h: SCHEDULE,
             writes=True, ok=302),
    Endpoint("schedule helper", "POST", lambda h: _u("dashboard:ev-schedule", _ev(h)),
             data=lambda h: {**SCHEDULE, "action": "copy_monday"}),
    # dashboard/control_urls.py: adding and removing devices, the owner's alone (members get 403 too)
    Endpoint("add device", "POST", lambda h: _u("dashboard:device-add"), data=lambda h: {},
             expect=(("member", 403), ("other", OK)), writes=True),  # `other` adds to their own home
    Endpoint("add status", "GET", lambda h: _u("dashboard:device-add-status", FOREIGN_REF),
             expect=(("owner", 404), ("member", 403))),
    Endpoint("add cancelled", "GET", lambda h: _u("dashboard:device-add-cancelled", FOREIGN_REF),
             expect=(("owner", 404), ("member", 403))),
    Endpoint("remove page", "GET", lambda h: _u("dashboard:device-remove", "heat-pump", h.hp["id"]),
             expect=(("member", 403),)),
    Endpoint("remove", "POST", lambda h: _u("dashboard:device-remove", "heat-pump", h.hp["id"]), data=lambda h: {},
             expect=(("member", 403),), writes=True, ok=302),
    # Only this person's own pending removal is ever looked at: another home's id finds none (302 home).
    Endpoint("remove check", "GET", lambda h: _u("dashboard:device-remove-check", "heat-pump", h.hp["id"]),
             expect=(("member", 403), ("other", OK)), ok=302),
    # accounts/urls.py
    Endpoint("settings", "GET", lambda h: _u("accounts:settings"), expect=(("viewer", OK), ("other", OK))),
    Endpoint("settings save", "POST", lambda h: _u("accounts:settings"),
             data=lambda h: {"timezone": "Europe/Berlin", "notify_attention": "on"},
             expect=(("viewer", OK), ("other", OK)), ok=302),
    Endpoint("invite", "POST", lambda h: _u("accounts:household-invite"),
             data=lambda h: {"email": "new@example.com", "role": "viewer"},
             expect=(("member", 403), ("other", OK)), ok=302),  # `other` invites into their own home (checked below)
    Endpoint("remove member", "POST", lambda h: _u("accounts:household-remove", h.viewer_row.pk),
             data=lambda h: {}, expect=(("member", 403),), ok=302),
    Endpoint("revoke invitation", "POST", lambda h: _u("accounts:household-revoke", h.invite.pk),
             data=lambda h: {}, expect=(("member", 403),), ok=302),
    Endpoint("join page", "GET", lambda h: _u("accounts:household-join", h.token),
             expect=(("viewer", OK), ("other", OK), ("anonymous", OK))),
    # Everybody here has a home or is not the invitee: nobody but the invitee may accept (409).
    Endpoint("join", "POST", lambda h: _u("accounts:household-join", h.token), data=lambda h: {},
             expect=(("owner", 409), ("member", 409), ("viewer", 409), ("other", 409), ("anonymous", OK))),
]


@pytest.fixture
def matrix_home(household, client):
    household.viewer_row = HouseholdMember.objects.get(user=household.viewer)
    household.invite, household.token = household_invite_create(owner=household.owner, email="invitee@example.com",
                                                                role="member")
    return household


def _outcome(response, ok: int) -> Any:
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    if response.status_code == 200 and "/accounts/login/" in response.get("HX-Redirect", ""):
        return "hx-login"
    if response.status_code == ok:
        return OK
    return response.status_code


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.name}")
def test_matrix(client, matrix_home, endpoint, persona):
    h = matrix_home
    person = h.person(persona)
    if person is not None:
        client.force_login(person)
    url = endpoint.url(h)
    headers = {"HX-Request": "true"} if endpoint.htmx else {}
    before_audit = AuditEntry.objects.count()
    if endpoint.method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, endpoint.data(h), headers=headers)
    expected = endpoint.expected(persona)
    assert _outcome(response, endpoint.ok) == expected, (response.status_code, response.get("Location"),
                                            response.content.decode()[:500])
    writes = h.fake.writes()
    if expected == OK and endpoint.writes:
        assert len(writes) == 1, writes
        home_owner = h.other if persona == "other" else h.owner
        assert writes[0][-1] in (h.hp["id"], h.ev["id"], str(home_owner.podero.podero_user_id)) \
            or writes[0][0] == "start_auth_session", writes
        assert AuditEntry.objects.filter(actor=person, user=home_owner).count() >= 1
    else:
        assert writes == [], writes  # a refusal (and every read) sends nothing upstream
    if expected in (403, LOGIN, "hx-login"):
        assert AuditEntry.objects.count() == before_audit  # refused before any service ran
    if persona != "other":  # nobody else ever reaches the other household's devices
        assert not [c for c in h.fake.calls if h.other_ev["id"] in c]


@pytest.mark.parametrize("persona", ("owner", "member", "viewer"))
def test_the_other_household_s_device_is_a_404_for_every_control(client, matrix_home, persona):
    """The same endpoints with the other household's EV id: not found, nothing sent, the attempt audited."""
    h = matrix_home
    client.force_login(h.person(persona))
    foreign = h.other_ev["id"]
    cells = [("POST", _u("dashboard:ev-boost", foreign), {}), ("POST", _u("dashboard:ev-boost-cancel", foreign), {}),
             ("POST", _u("dashboard:ev-deadline", foreign), {"enabled": "0"}),
             ("POST", _u("dashboard:ev-schedule", foreign), SCHEDULE),
             ("POST", _u("dashboard:device-reconnect", "electric-vehicle", foreign), {}),
             ("GET", _u("dashboard:ev-deadline", foreign), None), ("GET", _u("dashboard:ev-schedule", foreign), None),
             ("GET", _u("dashboard:write-confirm", "electric-vehicle", foreign), None),
             ("GET", _u("dashboard:device_detail", "electric-vehicle", foreign), None)]
    for method, url, data in cells:
        response = client.get(url) if method == "GET" else client.post(url, data)
        is_control = "device_detail" not in url and not url.endswith(f"/{foreign}/")
        # A viewer is refused every control before the id is even looked at; the detail page is a 404.
        assert response.status_code == (403 if persona == "viewer" and is_control else 404), url
    assert h.fake.writes() == []
    assert not [c for c in h.fake.calls if foreign in c]


def test_invite_from_another_household_goes_into_their_own_home(client, matrix_home):
    client.force_login(matrix_home.other)
    client.post(_u("accounts:household-invite"), {"email": "friend@example.com", "role": "member"})
    assert HouseholdInvite.objects.get(email="friend@example.com").link == matrix_home.other.podero


BOTH_METHODS = {"remove page", "remove", "deadline page", "deadline", "schedule page", "schedule", "schedule helper", "settings",
                "settings save", "join page", "join"}


@pytest.mark.parametrize("persona", ("owner", "viewer", "anonymous"))
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name not in BOTH_METHODS and not e.htmx],
                         ids=lambda e: f"{e.method} {e.name}")
def test_the_other_method_is_refused_before_anything_runs(client, matrix_home, endpoint, persona):
    """A GET route answers POST with 405, a POST route answers GET with 405: nothing sent, nothing audited."""
    person = matrix_home.person(persona)
    if person is not None:
        client.force_login(person)
    url = endpoint.url(matrix_home)
    response = client.post(url, {}) if endpoint.method == "GET" else client.get(url)
    assert response.status_code == 405
    assert matrix_home.fake.writes() == [] and not AuditEntry.objects.exists()
