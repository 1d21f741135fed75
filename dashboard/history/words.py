"""Savings and EV sessions in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from devices.schemas import ChargingSession, SavingsReport

from .format import SESSION_WINDOW_DAYS, date_text, iso_local, money, number
from .ranges import HistoryRange
from .series import _plain


# --- Savings --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Saved:
    eur: float | None
    percent: float | None

    @property
    def known(self) -> bool:
        return self.eur is not None

    @property
    def nothing(self) -> bool:
        return self.eur is not None and round(self.eur, 2) == 0


def saved_in(report: SavingsReport | None) -> Saved:
    """The report's buckets summed; the share of the baseline cost when every bucket has one."""
    known = [b for b in report.buckets if b.known] if report is not None else []
    if not known:
        return Saved(None, None)
    eur = sum(b.savings_eur or 0.0 for b in known)
    rated = [b for b in known if b.savings_percent]
    if len(rated) != len([b for b in known if b.savings_eur]):
        return Saved(eur, None)
    baseline = sum((b.savings_eur or 0.0) / (b.savings_percent / 100) for b in rated if b.savings_percent)
    return Saved(eur, eur / baseline * 100 if rated and baseline > 0 else None)


MAX_SHOWN_PERCENT = 100  # more than the whole baseline cost (an exporting inverter's): shown as € only


def _share(saved: Any) -> str | None:
    percent = getattr(saved, "percent", None)
    if percent is None or not 0 < percent <= MAX_SHOWN_PERCENT:
        return None
    shown = number(percent, 0)
    return None if shown == "0" else f"{shown}\u00a0%"  # "0,03 € (0 %)" reads as nothing saved


def saved_words(saved: Any) -> str:
    """One cell or sentence: "€ 12.34 (18 %)", "nothing yet", or "not known yet" — never "€ 0.00"."""
    if saved is None or getattr(saved, "eur", None) is None:
        return _("not known yet")
    if round(saved.eur, 2) == 0:
        return _("nothing yet")
    if saved.eur < 0:
        return _("%(amount)s more than without Podero") % {"amount": money(-saved.eur)}
    share = _share(saved)
    return f"{money(saved.eur)} ({share})" if share else money(saved.eur)


def headline(saved: Any) -> str:
    """The home page's sentence for this month."""
    if saved is None or getattr(saved, "eur", None) is None:
        return _("We don't know yet what Podero saved you this month. Savings appear once Podero has "
                 "measured them.")
    if round(saved.eur, 2) <= 0:
        return _("Podero has not saved you anything yet this month.")
    if share := _share(saved):
        return _("Podero saved you %(amount)s (%(percent)s) this month.") % {
            "amount": money(saved.eur), "percent": share}
    return _("Podero saved you %(amount)s this month.") % {"amount": money(saved.eur)}


def month_label(start: datetime, zone: tzinfo, *, this: bool = False) -> str:
    month = date_text(start.astimezone(zone), "YEAR_MONTH_FORMAT")
    return _("This month (%(month)s)") % {"month": month} if this else month


def period_headline(saved: Saved, rng: HistoryRange) -> str:
    if not saved.known:
        return _("Savings for this period are not known yet.")
    if saved.nothing:
        return _("Podero saved nothing in this period.")
    if saved.eur is not None and saved.eur < 0:
        if rng.kind in ("day", "week"):
            return _("In this period, energy cost %(amount)s more than it would have without Podero: Podero "
                     "moves energy into cheaper hours, sometimes into the next period.") % {"amount": money(-saved.eur)}
        return _("In this period, energy cost %(amount)s more than it would have without Podero.") % {
            "amount": money(-saved.eur)}
    if share := _share(saved):
        return _("Podero saved you %(amount)s (%(percent)s) in this period.") % {
            "amount": money(saved.eur), "percent": share}
    return _("Podero saved you %(amount)s in this period.") % {"amount": money(saved.eur)}


# --- EV sessions in plain words ------------------------------------------------------------------
OUTCOMES = {
    "completed": gettext_lazy("Charged as planned"),
    "target_reached": gettext_lazy("Reached the charge target"),
    "not_at_home": gettext_lazy("Charged away from home, so Podero did not plan it"),
    "in_progress": gettext_lazy("Charging now"),
    "deadline_missed": gettext_lazy("Did not reach the target by the deadline"),
    "unplugged_early": gettext_lazy("Unplugged before charging finished"),
    "interrupted": gettext_lazy("Charging was interrupted"),
    "failed": gettext_lazy("Charging failed"),
    "cancelled": gettext_lazy("Cancelled"),
}


def outcome_words(code: str | None) -> str:
    if not code:
        return str(_("Not reported"))
    words = OUTCOMES.get(code.strip().lower())
    return str(words) if words is not None else str(_("Ended (Podero did not say how)"))


def session_day(session: ChargingSession) -> str | None:
    """The UTC plug-in day that finds the session again in the API's list (its URL carries it)."""
    return session.plug_in.astimezone(UTC).date().isoformat() if session.plug_in else None


SESSION_CSV = ["id", "plug_in", "unplug", "duration_minutes", "energy_kwh", "cost_eur", "savings_eur",
               "expected_savings_eur", "battery_start_percent", "battery_end_percent", "target_percent",
               "at_home", "outcome"]


def session_csv_row(s: ChargingSession, zone: tzinfo) -> list[str]:
    def num(v: float | None) -> str:
        return "" if v is None else _plain(v)

    return [
        s.id or "", iso_local(s.plug_in, zone), iso_local(s.ended, zone),
        "" if s.duration is None else _plain(s.duration.total_seconds() / 60, 0),
        num(s.energy_kwh), num(s.cost_eur), num(s.savings_eur), num(s.expected_savings_eur),
        num(s.initial_soc), num(s.final_soc), num(s.target_soc),
        "" if s.is_at_home is None else ("true" if s.is_at_home else "false"), outcome_words(s.outcome),
    ]


def sessions_window(now: datetime | None = None) -> tuple[date, date]:
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return today - timedelta(days=SESSION_WINDOW_DAYS), today

