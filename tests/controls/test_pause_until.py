""""Pause until…" through the homeowner's forms, and what the card says about it (fake Podero)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import podero, services
from devices.models import AuditEntry, ScheduledResume

from .conftest import HTMX

pytestmark = pytest.mark.django_db
VIENNA = ZoneInfo("Europe/Vienna")


def url(kind, device_id):
    return reverse("dashboard:optimization", args=[kind, device_id])


def reason(html, device_id):
    found = re.search(rf'id="device-{device_id}-reason" role="status" aria-live="polite">(.*?)</p>', html, re.S)
    return found.group(1) if found else None


def test_the_card_offers_every_choice_as_a_plain_form(home):
    html = home.client.get("/").content.decode()
    for choice in ("2h", "tonight", "morning", "at", "indefinitely"):
        assert f'name="until" value="{choice}"' in html
    assert 'type="datetime-local" name="at"' in html
    assert html.count('name="csrfmiddlewaretoken"') > 3


def test_pause_for_two_hours_stores_the_resume_and_the_card_says_until_when(home):
    response = home.client.post(url("heat-pump", home.hp["id"]), {"active": "0", "until": "2h"}, **HTMX)
    assert response.status_code == 200
    assert home.hp["is_smart_optimization_active"] is False
    row = ScheduledResume.objects.get()
    assert row.status == "pending" and row.device_kind == "heat-pumps"
    assert timedelta(hours=1, minutes=59) < row.resume_at - timezone.now() <= timedelta(hours=2)
    html = response.content.decode()
    hm = row.resume_at.astimezone(VIENNA).strftime("%H:%M")
    assert re.fullmatch(rf"Optimization paused until (today|tomorrow) {hm} \(in 2 hours\)\.", reason(html, home.hp["id"]))
    assert ">Resume optimization</button>" in html
    assert "Pause optimization…" not in html.split(f'id="device-{home.hp["id"]}"')[1]


def test_pause_until_a_date_and_time_in_the_homeowners_zone(home):
    at = (timezone.now().astimezone(VIENNA) + timedelta(days=2)).replace(hour=18, minute=0, second=0, microsecond=0)
    response = home.client.post(url("inverter", home.inverter["id"]),
                                {"active": "0", "until": "at", "at": at.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert ScheduledResume.objects.get().resume_at == at
    html = home.client.get("/").content.decode()
    day = at.strftime("%a")
    assert re.fullmatch(rf"Optimization paused until {day} 18:00 \(in 2 days\)\.", reason(html, home.inverter["id"]))


@pytest.mark.parametrize("data", [{"active": "0", "until": "at"}, {"active": "0", "until": "at", "at": "2001-01-01T10:00"},
                                  {"active": "0", "until": "next-year"}])
def test_an_unusable_end_is_refused_without_a_call(home, data):
    response = home.client.post(url("heat-pump", home.hp["id"]), data, **HTMX)
    assert response.status_code == 422
    assert "Nothing was changed." in response.content.decode()
    assert home.writes() == [] and not ScheduledResume.objects.exists()
    assert AuditEntry.objects.get().outcome == "invalid"


def test_resume_by_hand_cancels_the_timed_resume(home):
    home.client.post(url("electric-vehicle", home.ev["id"]), {"active": "0", "until": "tonight"})
    assert ScheduledResume.objects.get().status == "pending"
    home.client.post(url("electric-vehicle", home.ev["id"]), {"active": "1"})
    assert home.ev["is_smart_optimization_active"] is True
    assert ScheduledResume.objects.get().status == "cancelled"


def test_a_failed_timed_resume_shows_on_the_card(home):
    home.client.post(url("heat-pump", home.hp["id"]), {"active": "0", "until": "2h"})
    row = ScheduledResume.objects.get()
    home.fake.write_error = podero.PoderoServerError(status=503, method="PUT", path="/x", body=None)
    assert services.resume_due(now=row.resume_at) == 0
    services.invalidate(link=home.user.podero)
    html = home.client.get("/").content.decode()
    hm = row.resume_at.astimezone(VIENNA).strftime("%H:%M")
    assert reason(html, home.hp["id"]) == (f"Still paused: resuming at {hm} did not work yet. We keep trying "
                                           "(1 attempt so far).")


def test_the_inverter_card_says_the_battery_once(home):
    html = home.client.get("/").content.decode()
    card = html.split(f'id="device-{home.inverter["id"]}"')[1].split("</article>")[0]
    outside_the_picture = re.sub(r"<[^>]+>", " ", re.sub(r'<figure class="flow">.*?</figure>', "", card, flags=re.S))
    assert outside_the_picture.count("Battery") == 1  # the reason line; the diagram draws it
    assert reason(html, home.inverter["id"]).startswith("Battery charging at 2.0 kW")
