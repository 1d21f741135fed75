"""Partner staff's admin fits the work (issue 13): homeowners apart from staff, device names instead of
ids, a support summary first, the household, the audit log in plain words with filters and a CSV export,
the partner's name, readable durations, a favicon, and the audited read-only "view as homeowner"."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import HouseholdMember, Role, User
from accounts.templatetags.support import duration_words, in_duration
from devices.models import AuditEntry
from tests import payloads
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")
AUDIT = reverse("admin:devices_auditentry_changelist")
EXPORT = reverse("admin:devices_auditentry_export")


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


@pytest.fixture
def home(homeowner, podero_fake):
    uid = homeowner.podero.podero_user_id
    podero_fake.add(uid, "heat-pumps", payloads.heat_pump(id=payloads.HEAT_PUMP["id"]))
    podero_fake.add(uid, "electric-vehicles", payloads.ELECTRIC_VEHICLE)
    member = User.objects.create_user(email="partner@example.com", password=PASSWORD)
    HouseholdMember.objects.create(link=homeowner.podero, user=member, role=Role.MEMBER, invited_by=homeowner)
    return homeowner, member


def _entry(owner, actor, **kw):
    defaults = {"user": owner, "user_email": owner.email, "actor": actor, "actor_email": actor.email,
                "device_kind": "electric-vehicles", "device_id": payloads.ELECTRIC_VEHICLE["id"],
                "device_name": "Tesla Model 3", "action": "boost_start", "outcome": "ok", "upstream_status": 204}
    return AuditEntry.objects.create(**{**defaults, **kw})


# --- Lists -------------------------------------------------------------------------------------------
def test_staff_are_not_listed_as_homeowners_but_have_their_own_list(client, superuser, support_user, home):
    client.force_login(superuser)
    html = client.get(CHANGELIST).content.decode()
    html = html[html.index('id="result_list"'):]
    assert ">owner@example.com<" in html and ">partner@example.com<" in html
    assert ">support@partner.example<" not in html and ">boss@partner.example<" not in html
    html = client.get(reverse("admin:accounts_staffuser_changelist")).content.decode()
    assert ">support@partner.example</a>" in html and "Partner support" in html
    assert ">owner@example.com</a>" not in html


def test_an_account_added_from_the_staff_list_is_staff(client, superuser):
    client.force_login(superuser)
    client.post(reverse("admin:accounts_staffuser_add"), {
        "email": "colleague@partner.example", "usable_password": "true",
        "password1": "Quiet-harbour-2046", "password2": "Quiet-harbour-2046"})
    assert User.objects.get(email="colleague@partner.example").is_staff


def test_homeowner_list_shows_device_names_a_short_id_and_the_household(client, superuser, home):
    from devices import services

    owner, member = home
    services.device_overview(link=owner.podero)
    client.force_login(superuser)
    html = client.get(CHANGELIST).content.decode()
    row = html[html.index(">owner@example.com<"):]
    row = row[:row.index("</tr>")]
    uid = str(owner.podero.podero_user_id)
    assert f"{uid[:8]}…" in row and f">{uid}<" not in row and f'title="{uid}"' in row  # the full id on hover only
    assert "Nibe S2125-8" in row and "Tesla Model 3" in row and payloads.ELECTRIC_VEHICLE["id"] not in row
    assert "owner, 1 invited" in row
    member_row = html[html.index(">partner@example.com<"):]
    assert "Member in owner@example.com&#x27;s home" in member_row[:member_row.index("</tr>")]
    html = client.get(CHANGELIST, {"household": "member"}).content.decode()
    assert ">partner@example.com<" in html and ">owner@example.com<" not in html


# --- A homeowner's page ---------------------------------------------------------------------------------
def test_change_page_starts_with_the_support_summary(client, support_user, home):
    owner, member = home
    _entry(owner, member)
    _entry(owner, owner, action="optimization_set", device_kind="heat-pumps", device_id=payloads.HEAT_PUMP["id"],
           device_name="", values={"is_smart_optimization_active": False}, upstream_status=200)
    client.force_login(support_user)
    html = client.get(change_url(owner)).content.decode()
    summary, form = html.index('id="summary-heading"'), html.index('id="user_form"')
    for heading in ("devices-heading", "household-heading", "audit-heading"):
        assert summary < html.index(f'id="{heading}"') < form
    audit = html[html.index('id="audit-heading"'):form]
    assert "partner@example.com" in audit and "Charge now" in audit and "Tesla Model 3" in audit
    assert "Paused optimization" in audit and "Nibe S2125-8" in audit  # the name found for an older row
    assert "boost_start" not in audit and "electric-vehicles" not in audit
    household = html[html.index('id="household-heading"'):html.index('id="audit-heading"')]
    assert "partner@example.com" in household and "member" in household
    devices = html[html.index('id="devices-heading"'):html.index('id="household-heading"')]
    assert "Last sync" in devices and "has expired" in devices  # attention in plain words


def test_a_member_s_page_points_to_the_owner_s_home(client, superuser, home):
    owner, member = home
    client.force_login(superuser)
    html = client.get(change_url(member)).content.decode()
    assert "member in the home of owner@example.com" in html and change_url(owner) in html
    devices = html[html.index('id="devices-heading"'):html.index('id="user_form"')]
    assert "Tesla Model 3" in devices and "Refresh devices now" not in devices  # the home's devices, read only


# --- The audit log ------------------------------------------------------------------------------------------
def test_audit_log_in_plain_words_with_filters(client, support_user, home):
    owner, member = home
    _entry(owner, member)
    _entry(owner, owner, action="charge_deadline_set", outcome="invalid", upstream_status=422,
           values={"is_charge_policy_enabled": True, "minimum_charge_limit": 80, "charge_deadline_at": "07:00"})
    _entry(owner, owner, action="optimization_set", device_kind="heat-pumps", device_name="Nibe S2125-8",
           values={"is_smart_optimization_active": True})
    client.force_login(support_user)
    html = client.get(AUDIT).content.decode()
    assert "Set the charge deadline: 80 % by 07:00" in html and "Resumed optimization" in html
    assert "partner@example.com" in html and "the homeowner" in html and "Invalid input (422)" in html
    assert ">charge_deadline_set<" not in html and payloads.ELECTRIC_VEHICLE["id"] not in html
    html = client.get(AUDIT, {"outcome__exact": "invalid"}).content.decode()
    assert "Set the charge deadline" in html and "Resumed optimization" not in html
    html = client.get(AUDIT, {"device_kind": "heat-pumps"}).content.decode()
    assert "Resumed optimization" in html and "Charge now</td>" not in html
    assert "electric vehicle" in client.get(AUDIT).content.decode()  # the kind filter's plain names


def test_csv_export_for_a_date_range(client, support_user, home):
    owner, member = home
    inside = _entry(owner, member, error="=HYPERLINK(\"http://evil\")")
    before = _entry(owner, owner, action="boost_cancel")
    AuditEntry.objects.filter(pk=before.pk).update(created_at=inside.created_at - timedelta(days=40))
    client.force_login(support_user)
    page = client.get(EXPORT)
    assert page.status_code == 200 and 'type="date"' in page.content.decode()
    today = timezone.localdate(inside.created_at)
    response = client.get(EXPORT, {"start": str(today - timedelta(days=7)), "end": str(today)})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["time (UTC)", "homeowner", "acted by", "action"]
    assert len(rows) == 2  # the header and the one row of those days
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["homeowner"], row["acted by"], row["action"], row["device"]) == (
        "owner@example.com", "partner@example.com", "Charge now", "Tesla Model 3")
    assert row["error"].startswith("'=")  # a formula stays text in a spreadsheet
    bad = client.get(EXPORT, {"start": str(today), "end": str(today - timedelta(days=1))})
    assert bad.status_code == 400 and "before the first" in bad.content.decode()


def test_csv_export_needs_the_audit_view_permission(client, home):
    owner, _ = home
    staff = User.objects.create_user(email="nobody@partner.example", password=PASSWORD, is_staff=True)
    client.force_login(staff)
    assert client.get(EXPORT).status_code == 403
    client.force_login(owner)
    assert client.get(EXPORT).status_code == 302  # a homeowner is sent to the login


# --- Header, durations, favicon ----------------------------------------------------------------------------
def test_the_header_carries_the_partner_s_name(client, superuser):
    client.force_login(superuser)
    html = client.get("/admin/").content.decode()
    assert "Home energy · partner support" in html and "Django administration" not in html
    assert 'rel="icon"' in html


@pytest.mark.parametrize(("seconds", "words"), [
    (42, "42 s"), (754, "12 min"), (35258, "9 h 47 min"), (7200, "2 h"), (190000, "2 d 4 h"), (-3, "0 s"),
])
def test_durations_read_as_words(seconds, words):
    assert duration_words(seconds) == words
    assert in_duration(seconds) == f"in {words}"


def test_token_expiry_reads_in_hours_and_minutes(client, superuser, podero_fake):
    podero_fake.tokens.expires_at = lambda: time.time() + 35258.9
    client.force_login(superuser)
    html = client.get(reverse("admin:podero_health")).content.decode()
    assert "(in 9 h 47 min)" in html and " s)" not in html[html.index('id="health-token"'):][:400]


def test_favicon_ico_is_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and "favicon" in response["Location"]
    assert response["Location"].endswith(".svg")  # static/favicon.svg (whitenoise serves it once collected)
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg")


# --- View as homeowner ------------------------------------------------------------------------------------
def test_view_as_homeowner_is_read_only_and_audited(client, support_user, home, podero_fake):
    owner, _ = home
    client.force_login(support_user)
    assert reverse("admin:accounts_user_view_as", args=[owner.pk]) in client.get(change_url(owner)).content.decode()
    response = client.get(reverse("admin:accounts_user_view_as", args=[owner.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="device-{payloads.HEAT_PUMP["id"]}"' in html and f'id="device-{payloads.ELECTRIC_VEHICLE["id"]}"' in html
    main = html.split("<main", 1)[1]
    assert "<form" not in main and "hx-post" not in main and "hx-get" not in main  # no control, no polling
    assert "Support view of the dashboard of owner@example.com" in html
    entry = AuditEntry.objects.get(action="view_as_homeowner")
    assert (entry.user, entry.actor, entry.outcome) == (owner, support_user, "ok")
    assert podero_fake.writes() == []


def test_view_as_homeowner_needs_the_view_permission(client, home):
    owner, _ = home
    staff = User.objects.create_user(email="nobody@partner.example", password=PASSWORD, is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:accounts_user_view_as", args=[owner.pk])).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_user", content_type__app_label="accounts"))
    client.force_login(User.objects.get(pk=staff.pk))
    assert client.get(reverse("admin:accounts_user_view_as", args=[owner.pk])).status_code == 200
    assert AuditEntry.objects.filter(actor=staff, action="view_as_homeowner").count() == 1  # the refusal wrote none
