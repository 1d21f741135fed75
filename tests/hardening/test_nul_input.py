"""Item 8: NUL bytes in typed input are a form error (422, the message shown), never a 500, and every
attempt leaves an audit row, a refused probe of someone else's device included. On PostgreSQL, whose
text and jsonb columns refuse NUL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from devices import services
from devices.models import AuditEntry
from tests.ci_services import require_postgres

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
FOREIGN = "99999999-9999-4999-8999-999999999999"


@pytest.fixture(autouse=True)
def _postgres():
    require_postgres("NUL handling is a PostgreSQL matter (make test runs on PostgreSQL)")


def url(name, *args):
    return reverse(f"dashboard:{name}", args=args)


def schedule(**overrides):
    data = {f"{d}_percentage": "80" for d in services.WEEKDAYS}
    data.update({f"{d}_deadline": "07:00" for d in services.WEEKDAYS})
    data.update(action="save")
    data.update(overrides)
    return data


def posts(home):
    ev, hp = home.ev["id"], home.hp["id"]
    return [
        (url("optimization", "heat-pump", hp), {"active": "0\x00"}, "optimization_set"),
        (url("ev-deadline", ev), {"enabled": "1", "minimum_charge_limit": "8\x000", "charge_deadline_at": "07:00"},
         "charge_deadline_set"),
        (url("ev-deadline", ev), {"enabled": "1", "minimum_charge_limit": "80", "charge_deadline_at": "07:\x0000"},
         "charge_deadline_set"),
        (url("ev-schedule", ev), schedule(mon_deadline="07\x00:00"), "charge_policy_set"),
        (url("ev-schedule", ev), schedule(sun_percentage="9\x000"), "charge_policy_set"),
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_nul_in_any_field_is_a_form_error_with_an_audit_row(home, htmx):
    for path, data, action in posts(home):
        before = AuditEntry.objects.count()
        response = home.client.post(path, data, **(HTMX if htmx else {}))
        assert response.status_code == 422, (path, data)
        html = response.content.decode()
        assert "Nothing was changed" in html or "correct the highlighted" in html.lower(), html[:300]
        assert AuditEntry.objects.count() == before + 1
        row = AuditEntry.objects.order_by("-id").first()
        assert (row.action, row.outcome) == (action, "invalid")
        assert "\x00" not in str(row.values) and "\\x00" in str(row.values)  # visible, storable
    assert home.writes() == []


def test_a_probe_of_a_foreign_device_with_nul_is_audited_as_refused(home):
    for path in (url("optimization", "heat-pump", FOREIGN), url("ev-deadline", FOREIGN)):
        response = home.client.post(path, {"active": "1\x00", "enabled": "1\x00"})
        assert response.status_code == 404
        row = AuditEntry.objects.order_by("-id").first()
        assert row.outcome == "refused" and row.device_id == FOREIGN


def test_a_valid_change_still_saves(home):
    response = home.client.post(url("optimization", "heat-pump", home.hp["id"]), {"active": "0"}, **HTMX)
    assert response.status_code == 200 and AuditEntry.objects.order_by("-id").first().outcome == "ok"


