"""The grid, keywords, fields and units of the history endpoints (addendum §1a)."""


from __future__ import annotations

from datetime import timedelta

from ..models import Device

SLOT = timedelta(minutes=15)
SLOT_H = 0.25
SLOTS_PER_DAY = 96
DAY = timedelta(days=1)
MONEY_UNIT = 10_000  # savings and costs are integers of 1e-4 €: daily buckets sum to the month exactly
MIN_SOC = 10.0  # a driver recharges before the battery falls below this
SESSION_GAP_DAYS = 4  # the car is plugged in at least every fourth evening
PLUG_CHANCE = 0.45  # ... and on about half of the other evenings
AWAY_CHANCE = 0.08  # share of sessions charged away from home (not optimized)

DATA_RESOLUTIONS = ("15MIN", "1HOUR", "1DAY", "1WEEK", "1MONTH")
SAVINGS_RESOLUTIONS = ("1DAY", "1WEEK", "1MONTH", "1QUARTER", "1YEAR")

HP_KEYWORDS = (
    "inlet_temp_act",
    "hot_water_temp",
    "estimated_consumption",
    "unoptimized_consumption",
    "price",
)
HP_EXTRA_FIELDS = ("simulated_consumption", "estimated_consumption_filtered")
EV_KEYWORDS = (
    "price",
    "battery_level",
    "is_charging",
    "is_plugged_in",
    "is_at_optimized_location",
    "estimated_consumption",
    "unoptimized_consumption",
)
INVERTER_KEYWORDS = (
    "export_power_to_grid_w",
    "battery_charge_level_percent",
    "battery_charge_discharge_power_w",
    "household_consumption_w",
    "solar_production_w",
)
INVERTER_EXTRA_FIELDS = ("price", "estimated_consumption", "unoptimized_consumption")
KEYWORDS = {
    Device.HEAT_PUMP: HP_KEYWORDS,
    Device.ELECTRIC_VEHICLE: EV_KEYWORDS,
    Device.INVERTER: INVERTER_KEYWORDS,
}
FIELDS = {
    Device.HEAT_PUMP: HP_KEYWORDS + HP_EXTRA_FIELDS,
    Device.ELECTRIC_VEHICLE: EV_KEYWORDS,
    Device.INVERTER: INVERTER_KEYWORDS + INVERTER_EXTRA_FIELDS,
}
SUM_FIELDS = frozenset(
    {
        "estimated_consumption",
        "unoptimized_consumption",
        "simulated_consumption",
        "estimated_consumption_filtered",
    }
)
BOOL_FIELDS = frozenset({"is_charging", "is_plugged_in", "is_at_optimized_location"})
ROUNDING = {
    "price": 2,
    "inlet_temp_act": 1,
    "hot_water_temp": 1,
    "battery_level": 1,
    "battery_charge_level_percent": 1,
}
DATA_UNITS = {
    "price": "EUR/MWh",
    "estimated_consumption": "Wh",
    "unoptimized_consumption": "Wh",
    "simulated_consumption": "Wh",
    "estimated_consumption_filtered": "Wh",
    "inlet_temp_act": "°C",
    "hot_water_temp": "°C",
    "battery_level": "%",
    "battery_charge_level_percent": "%",
    "export_power_to_grid_w": "W",
    "battery_charge_discharge_power_w": "W",
    "household_consumption_w": "W",
    "solar_production_w": "W",
}
SAVINGS_UNITS = {
    "savings.total": "EUR",
    "savings.percentage": "%",
    "consumption.total": "Wh",
    "estimated_consumption_wh": "Wh",
    "average_charge_power_w": "W",
    "solar_production_wh": "Wh",
    "grid_export_wh": "Wh",
}

