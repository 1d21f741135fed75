"""History pages against the simulator over HTTP: the device page's charts per kind, loading after the
page, the range picker's bad input, EV sessions, CSV, savings on the home page, and what an outage, a
"no data" answer and a malformed point look like. Upstream calls are counted by the simulator."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from devices import podero, services
from devices.services import history as history_service
from devices.services.cache import Ids
from simulator import clock, factories, faults, stats
from simulator.models import Organization, PoderoUser

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday, after both of 2026's clock changes in Vienna
KINDS = ("heat-pump", "electric-vehicle", "inverter")
HISTORY_PATHS = ("/data", "/savings", "/sessions", "/statistics")


@pytest.fixture
def owner(client, sim, demo_homeowner, monkeypatch):
    """The demo homeowner, logged in; the simulator and the services share a frozen clock."""
    clock.freeze(NOW)
    monkeypatch.setattr(history_service, "_now", clock.now)
    client.force_login(demo_homeowner)
    yield demo_homeowner
    clock.unfreeze()


def ids(sim) -> dict[str, str]:
    return {"heat-pump": sim.heat_pump_id, "electric-vehicle": sim.ev_id, "inverter": sim.inverter_id}


def history_calls() -> int:
    """Calls for history. The EV card's charging plan reads `…/sessions/current` in the background (issue 11):
    that is the card's, not the history's, so it is not counted here."""
    return (sum(stats.count(method="GET", path_contains=p) for p in HISTORY_PATHS)
            - stats.count(method="GET", path_contains="/sessions/current"))


def text(response) -> str:
    return response.content.decode().replace("\u00a0", " ").replace("&#x27;", "'")


def rows(html: str, key: str) -> list[str]:
    """The body rows of chart `key`'s data table."""
    figure = html.split(f'class="chart chart--{key}"', 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def neighbours_ev(sim):
    org = Organization.objects.get(id=sim.org_id)
    neighbour = factories.create_user(org, "neighbour@example.com", "Nina", "Nachbar")
    return factories.create_ev(neighbour, is_plugged_in=True)  # same org: our token could reach it


# --- The device page is the device's history -----------------------------------------------------
def test_the_page_comes_first_and_the_history_loads_after_it(client, owner, sim):
    services.device_list(link=owner.podero)
    stats.reset()
    url = f"/devices/heat-pump/{sim.heat_pump_id}/"
    response = client.get(url)
    html = text(response)
    assert response.status_code == 200 and history_calls() == 0  # nothing cached: nothing fetched yet
    assert 'hx-trigger="load"' in html and f'hx-get="{url}?range=day&amp;date=2026-11-02&amp;load=1"' in html
    assert f'<a href="{url}?range=day&amp;date=2026-11-02&amp;load=1">Show the history for' in html  # no JS
    assert "<h1>Nibe S2125-8</h1>" in html  # the rest of the page is there at once

    region = client.get(url, headers={"HX-Request": "true"})
    assert region.status_code == 200 and "<html" not in text(region) and 'id="history"' in text(region)
    assert "HX-Request" in region["Vary"] and history_calls() == 2  # /data and /savings, in parallel
    again = client.get(url)  # cached now: the page renders the history inline, without a call
    assert 'class="chart chart--consumption"' in text(again) and 'hx-trigger="load"' not in text(again)
    assert history_calls() == 2


@pytest.mark.parametrize(("kind", "charts"), [
    ("heat-pump", ["consumption", "temperatures"]),
    ("electric-vehicle", ["battery", "consumption"]),
    ("inverter", ["power", "consumption"]),
])
def test_a_day_of_each_kind_has_its_charts_captions_and_tables(client, owner, sim, kind, charts):
    response = client.get(f"/devices/{kind}/{ids(sim)[kind]}/?range=day&date=2026-06-10&load=1")
    html = text(response)
    assert response.status_code == 200
    assert re.findall(r'class="chart chart--(\w+)"', html) == charts
    for key in charts:
        assert len(rows(html, key)) == 96
    assert html.count('<figcaption class="chart__caption"') == 2
    assert html.count('<details class="chart__data">') == 2
    assert re.search(r"Podero saved (you € \d+\.\d\d( \(\d+ %\))?|nothing) in this period\."
                     r"|In this period, energy cost € \d+\.\d\d more than it would have without Podero", html)
    assert 'role="img"' in html and "<svg" in html and "style=" not in html.split('id="history"')[1]


def test_the_day_view_draws_dst_days_with_23_and_25_hours(client, owner, sim):
    base = f"/devices/heat-pump/{sim.heat_pump_id}/?range=day&load=1&date="
    spring = text(client.get(base + "2026-03-29"))
    autumn = text(client.get(base + "2026-10-25"))
    assert len(rows(spring, "consumption")) == 92 and len(rows(autumn, "consumption")) == 100
    assert 'viewBox="0 0 92 100"' in spring and 'viewBox="0 0 100 100"' in autumn
    assert "02:00 CEST" in autumn and "02:00 CET" in autumn and "02:00" not in spring.split("<tbody>")[1]
    assert "The clocks change in this period" in spring


@pytest.mark.parametrize(("kind", "count"), [("week", 168), ("month", 30), ("year", 12)])
def test_week_month_and_year(client, owner, sim, kind, count):
    html = text(client.get(f"/devices/inverter/{sim.inverter_id}/?range={kind}&date=2026-06-10&load=1"))
    assert len(rows(html, "power")) == count
    title = {"week": "Week of 8 Jun", "month": "June 2026", "year": "2026"}[kind]
    assert f"History: {title}" in html


def test_the_range_picker_is_a_plain_get_form_with_previous_and_next(client, owner, sim):
    url = f"/devices/heat-pump/{sim.heat_pump_id}/"
    html = text(client.get(url + "?range=month&date=2026-06-10&load=1"))
    assert '<form class="range-picker" method="get"' in html and 'name="load" value="1"' in html
    assert f'href="{url}?range=month&amp;date=2026-05-01&amp;load=1"' in html and 'rel="prev"' in html
    assert f'href="{url}?range=month&amp;date=2026-07-01&amp;load=1"' in html and 'rel="next"' in html
    assert 'hx-target="#history"' in html and 'hx-push-url="true"' in html
    today = text(client.get(url + "?range=day&load=1"))
    assert 'rel="next"' not in today  # nothing after today


# --- Bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "words"), [
    ("range=decade", "Choose a day, a week, a month or a year."),
    ("date=2026-13-45", "is not a date we can read"),
    ("date=yesterday", "is not a date we can read"),
    ("date=2026-11-03", "There is no history after today yet."),
    ("date=1900-01-01", "History goes back to 1 January 2016."),
    ("date=0001-01-01&range=year", "History goes back to"),
])
def test_a_range_we_cannot_show_is_a_clear_message_and_no_call(client, owner, sim, query, words):
    services.device_list(link=owner.podero)
    stats.reset()
    url = f"/devices/electric-vehicle/{sim.ev_id}/?{query}&load=1"
    page = client.get(url)
    assert page.status_code == 400 and words in text(page) and 'role="alert"' in text(page)
    region = client.get(url, headers={"HX-Request": "true"})
    assert region.status_code == 422 and words in text(region)  # htmx swaps 422 (base.html), so it shows
    csv_answer = client.get(f"/devices/electric-vehicle/{sim.ev_id}/history.csv?chart=battery&{query}")
    assert csv_answer.status_code == 400 and words in text(csv_answer)
    assert history_calls() == 0


def test_a_foreign_device_is_404_everywhere_and_costs_no_history_call(client, owner, sim):
    theirs = str(neighbours_ev(sim).id)
    services.device_list(link=owner.podero)
    stats.reset()
    for url in (f"/devices/electric-vehicle/{theirs}/?load=1",
                f"/devices/electric-vehicle/{theirs}/history.csv?chart=battery",
                f"/devices/electric-vehicle/{theirs}/sessions/",
                f"/devices/electric-vehicle/{theirs}/sessions.csv",
                f"/devices/electric-vehicle/{theirs}/sessions/2026-10-01/abc/",
                f"/devices/heat-pump/{sim.ev_id}/?load=1",  # our car under the wrong kind
                f"/devices/heat-pump/{sim.ev_id}/history.csv?chart=consumption"):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
    assert history_calls() == 0


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99999", "400"])
def test_a_malformed_or_missing_page_is_404(client, owner, sim, page):
    assert client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/?page={page}").status_code == 404


def test_a_chart_that_does_not_exist_is_404_without_a_call(client, owner, sim):
    services.device_list(link=owner.podero)
    stats.reset()
    assert client.get(f"/devices/heat-pump/{sim.heat_pump_id}/history.csv?chart=nope").status_code == 404
    assert client.get(f"/devices/heat-pump/{sim.heat_pump_id}/history.csv?chart=battery").status_code == 404
    assert history_calls() == 0


def test_a_cars_week_lists_its_sessions_of_that_week(client, owner, sim):
    html = text(client.get(f"/devices/electric-vehicle/{sim.ev_id}/?range=week&date=2026-06-10&load=1"))
    section = html.split('id="range-sessions-title"')[1]
    plugged = re.findall(r'sessions/\d{4}-\d\d-\d\d/[^/"]+/">(\d\d)/(\d\d)/2026 \d\d:\d\d</a>', section)
    assert plugged and all((m, d) >= ("06", "08") and (m, d) <= ("06", "14") for d, m in plugged)  # day/month
    assert 'href="/devices/electric-vehicle/' in section and "All charging sessions" in section


def test_every_new_route_is_get_only_and_needs_a_login(client, owner, sim):
    urls = [f"/devices/heat-pump/{sim.heat_pump_id}/?load=1", "/savings/",
            f"/devices/heat-pump/{sim.heat_pump_id}/history.csv?chart=consumption",
            f"/devices/electric-vehicle/{sim.ev_id}/sessions/", f"/devices/electric-vehicle/{sim.ev_id}/sessions.csv",
            f"/devices/electric-vehicle/{sim.ev_id}/sessions/2026-10-01/x/"]
    for url in urls:
        assert client.post(url).status_code == 405, url
    client.logout()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        assert client.get(url, headers={"HX-Request": "true"})["HX-Redirect"].startswith("/accounts/login/")


# --- Faults --------------------------------------------------------------------------------------
def test_no_data_for_the_period_says_so(client, owner, sim):
    empty = factories.create_heat_pump(PoderoUser.objects.get(id=sim.user_id), first_data_at=None)
    response = client.get(f"/devices/heat-pump/{empty.id}/?range=day&date=2026-06-10&load=1")
    html = text(response)
    assert response.status_code == 200  # the API answered 400 "no data"
    assert "No data for this period yet." in html and 'class="chart ' not in html
    assert "Savings for this period are not known yet." in html and "€ 0.00" not in html


def test_an_outage_shows_the_last_known_history_with_its_age(client, owner, sim):
    url = f"/devices/heat-pump/{sim.heat_pump_id}/?range=day&date=2026-06-10&load=1"
    assert client.get(url).status_code == 200
    rng_start, rng_end = datetime(2026, 6, 9, 22, tzinfo=UTC), datetime(2026, 6, 10, 22, tzinfo=UTC)
    link_ids = Ids.of(owner.podero)
    for parts in (("data", "15MIN", rng_start.isoformat(), rng_end.isoformat(), ""),
                  ("savings", "1DAY", rng_start.isoformat(), rng_end.isoformat())):
        key = history_service._key(link_ids, "heat-pumps", sim.heat_pump_id, *parts)
        entry = services.read_entry(key)
        cache.set(key, {**entry, "fetched_at": entry["fetched_at"] - 7 * 3600}, 3600)  # older than fresh
    faults.configure(error_rate=1.0, error_status=503, path=r"/(data|savings)")
    try:
        response = client.get(url)
    finally:
        faults.reset()
    html = text(response)
    assert response.status_code == 200
    assert "This is the last known history — Podero is not reachable." in html
    assert re.search(r"Last updated <time datetime=[^>]+>7 h ago</time>", html)
    assert len(rows(html, "consumption")) == 96


def test_an_outage_with_nothing_cached_is_a_sentence_not_a_500(client, owner, sim):
    services.device_list(link=owner.podero)
    faults.configure(error_rate=1.0, error_status=503, path=r"/(data|savings|sessions)")
    try:
        response = client.get(f"/devices/electric-vehicle/{sim.ev_id}/?range=week&date=2026-06-10&load=1")
        csv_answer = client.get(f"/devices/electric-vehicle/{sim.ev_id}/history.csv?chart=battery&range=week"
                                "&date=2026-06-10")
        sessions = client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/")
    finally:
        faults.reset()
    assert response.status_code == 200
    assert "We could not load the history." in text(response) and "Podero is not reachable." in text(response)
    assert csv_answer.status_code == 503 and "Podero is not reachable." in text(csv_answer)
    assert sessions.status_code == 200 and "We could not load the charging sessions." in text(sessions)


def test_a_malformed_point_is_a_gap(client, owner, sim, monkeypatch):
    original = podero.PoderoClient.get_device_data

    def broken(self, **kwargs):
        data = original(self, **kwargs)
        data["data"][10]["hot_water_temp"] = "hot"  # unreadable number
        data["data"][10]["estimated_consumption"] = {"wh": 1}
        data["data"][20]["time"] = "not a time"  # a point we cannot place
        return data

    monkeypatch.setattr(podero.PoderoClient, "get_device_data", broken)
    response = client.get(f"/devices/heat-pump/{sim.heat_pump_id}/?range=day&date=2026-06-10&load=1")
    html = text(response)
    assert response.status_code == 200
    temperatures, consumption = rows(html, "temperatures"), rows(html, "consumption")
    assert "<td>no data</td>" in temperatures[10] and "<td>no data</td>" in temperatures[20]
    assert "<td>no data</td>" in consumption[10]
    figure = html.split('class="chart chart--temperatures"')[1].split("</figure>")[0]
    hot_water = re.search(r'class="mark mark--line series--hot-water" d="([^"]+)"', figure).group(1)
    assert hot_water.count("M") == 3  # the line breaks at both gaps instead of dropping to zero


# --- EV sessions -----------------------------------------------------------------------------------
def test_sessions_are_listed_newest_first_in_plain_words(client, owner, sim):
    response = client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/")
    html = text(response)
    assert response.status_code == 200
    body = html.split("Completed sessions")[1]
    dates = re.findall(r"<th scope=\"row\"><a href=\"[^\"]+\">(\d\d)/(\d\d)/(\d{4}) (\d\d:\d\d)</a>", body)
    assert len(dates) == 20 and dates == sorted(dates, key=lambda d: (d[2], d[1], d[0], d[3]), reverse=True)
    assert "Charged as planned" in html
    for code in ("completed", "not_at_home", "in_progress"):
        assert f">{code}<" not in html and f" {code} " not in html
    assert 'rel="next" href="?page=2"' in html and "Page 1 of" in html
    second = text(client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/?page=2"))
    assert 'rel="prev" href="?page=1"' in second


def test_a_session_has_a_detail_page(client, owner, sim):
    html = text(client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/")).split("Completed sessions")[1]
    link = re.search(r'href="(/devices/electric-vehicle/[^"]+/sessions/(\d{4}-\d\d-\d\d)/([^/"]+)/)"', html)
    detail = client.get(link.group(1))
    page = text(detail)
    assert detail.status_code == 200
    for label in ("Energy charged", "Cost", "Saved by Podero", "Plugged in", "Unplugged", "Duration", "Battery",
                  "Outcome"):
        assert f"<dt>{label}</dt>" in page
    assert "kWh" in page and "€" in page and "See " in page and "on the chart" in page
    day, session_id = link.group(2), link.group(3)
    base = f"/devices/electric-vehicle/{sim.ev_id}/sessions/"
    assert client.get(f"{base}{day}/not-this-one/").status_code == 404
    assert client.get(f"{base}2026-02-30/{session_id}/").status_code == 404  # malformed day
    assert client.get(f"{base}1999-01-01/{session_id}/").status_code == 404  # outside the window


# --- CSV -------------------------------------------------------------------------------------------
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def test_a_chart_as_csv(client, owner, sim):
    response = client.get(f"/devices/heat-pump/{sim.heat_pump_id}/history.csv?chart=consumption&range=day"
                          "&date=2026-10-25", headers={"Accept-Language": "de"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="heat-pump-consumption-day-2026-10-25.csv"'
    assert response["Cache-Control"] == "private, no-store"
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["start", "end", "with_podero_kwh", "without_podero_kwh", "price_eur_per_mwh"]
    assert len(table) == 1 + 100  # the 25-hour day
    assert table[1][0] == "2026-10-25T00:00:00+02:00" and table[-1][1] == "2026-10-26T00:00:00+01:00"
    for row in table[1:]:
        assert ISO.match(row[0]) and ISO.match(row[1])
        for cell in row[2:]:
            assert cell == "" or re.fullmatch(r"-?\d+(\.\d+)?", cell), cell  # '.' decimals, even in German
    page = text(client.get(f"/devices/heat-pump/{sim.heat_pump_id}/?range=day&date=2026-10-25&load=1",
                           headers={"Accept-Language": "de"}))
    assert re.search(r"<td>\d+,\d\d kWh</td>", page)  # while the page itself speaks German numbers
    svg = page.split('class="chart__frame"')[1].split("</figure>")[0]
    assert re.search(r'(x|y|width|height)="-?\d+,\d', svg) is None  # ... but not its SVG coordinates
    assert re.search(r'<rect x="\d+(\.\d+)?" y="\d+(\.\d+)?"', svg)


def test_sessions_as_csv(client, owner, sim):
    response = client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="charging-sessions-2026-11-02.csv"'
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:5] == ["id", "plug_in", "unplug", "duration_minutes", "energy_kwh"]
    listed = text(client.get(f"/devices/electric-vehicle/{sim.ev_id}/sessions/"))
    total = int(re.search(r"Page 1 of (\d+)", listed).group(1))
    assert (total - 1) * 20 < len(table) - 1 <= total * 20  # every session of the window, not a page
    assert all(ISO.match(row[1]) for row in table[1:])
    assert {row[-1] for row in table[1:]} <= {"Charged as planned", "Charged away from home, so Podero did not plan it"}
    plug_ins = [row[1] for row in table[1:]]
    assert plug_ins == sorted(plug_ins, reverse=True)


# --- Savings on the home page ----------------------------------------------------------------------
def test_the_home_page_leaves_room_for_savings_and_does_not_wait_for_them(client, owner, sim):
    stats.reset()
    html = text(client.get("/"))
    assert 'id="savings"' in html and 'hx-get="/savings/"' in html and 'hx-trigger="load"' in html
    assert '<a href="/savings/">' in html  # without JavaScript
    assert history_calls() == 0  # the cards' round trip only


def test_savings_per_device_and_in_total(client, owner, sim):
    region = client.get("/savings/", headers={"HX-Request": "true"})
    html = text(region)
    assert region.status_code == 200 and "<html" not in html and 'id="savings"' in html
    assert re.search(r"Podero (saved you € \d+\.\d\d( \(\d+ %\))?|has not saved you anything yet) this month\.",
                     html)
    assert re.search(r"October 2026: € \d+\.\d\d \(\d+ %\) · November 2025: € \d+\.\d\d", html)  # beside
    assert "This month (November 2026)" in html and "October 2026" in html and "November 2025" in html
    assert html.count("<tr><th scope=\"row\"><a href=\"/devices/") == 4  # one row per device
    assert "In total" in html
    full = client.get("/savings/")
    assert full.status_code == 200 and "<html" in text(full)


def test_unknown_savings_are_a_sentence_never_zero_euros(client, owner, sim):
    empty = factories.create_inverter(PoderoUser.objects.get(id=sim.user_id), first_data_at=None)
    html = text(client.get("/savings/"))
    row = html.split(f'/devices/inverter/{empty.id}/')[1].split("</tr>")[0]
    assert row.count("not known yet") == 3 and "€" not in row


def test_a_month_with_nothing_known_reads_plainly(client, sim, demo_homeowner, monkeypatch):
    clock.freeze(datetime(2020, 1, 1, 0, 5, tzinfo=UTC))  # the first minutes of the demo's data
    monkeypatch.setattr(history_service, "_now", clock.now)
    client.force_login(demo_homeowner)
    try:
        html = text(client.get("/savings/"))
    finally:
        clock.unfreeze()
    assert "€ 0.00" not in html
    assert ("We don't know yet what Podero saved you this month." in html
            or "Podero has not saved you anything yet this month." in html)
