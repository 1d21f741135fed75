""""Pause until…" in a household: a member may pause (the timed resume is the owner's home's), a viewer may
not and sees the plan and the reason line without any control."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from devices import services
from devices.models import AuditEntry, ScheduledResume

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_member_pauses_until_and_the_resume_is_the_homes(household):
    url = reverse("dashboard:optimization", args=["heat-pump", household.hp["id"]])
    assert _client(household.member).post(url, {"active": "0", "until": "2h"}).status_code == 302
    row = ScheduledResume.objects.get()
    assert row.user == household.owner and str(row.podero_user_id) == str(household.owner.podero.podero_user_id)
    assert services.resume_due(now=row.resume_at) == 1
    assert household.hp["is_smart_optimization_active"] is True
    entry = AuditEntry.objects.get(action=services.A_TIMED_RESUME)
    assert (entry.user, entry.actor, entry.values["actor"]) == (household.owner, None, "system")


def test_a_viewer_cannot_pause_and_sees_no_pause_form(household):
    viewer = _client(household.viewer)
    url = reverse("dashboard:optimization", args=["electric-vehicle", household.ev["id"]])
    assert viewer.post(url, {"active": "0", "until": "2h"}).status_code == 403
    assert not ScheduledResume.objects.exists() and household.ev["is_smart_optimization_active"] is True
    html = viewer.get("/").content.decode()
    assert 'name="until"' not in html
    assert f'id="device-{household.ev["id"]}-reason"' in html and 'class="plan__line"' in html
