"""Where a scenario's policies start, read from a result's manifest: the dates from which its
dated values (a step's ``from``, a ramp's start, a changed date such as the IND route's
opening) depart from a reference, for marks on charts.

A result records its resolved scenario, each dated value as knots (see
``Scenario.to_dict``). Compared with another result (the first of a report, say), a policy
starts where the two paths of a parameter part; a result alone is compared with the
catalogue's defaults, counting only the values its scenario files or ``--set`` gave (values
fitted by calibration hold from the start and mark nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .timeline import Schedule


@dataclass(frozen=True)
class PolicyStart:
    """A date from which ``keys`` (parameter keys) depart from the reference."""

    date: dt.date
    keys: tuple[str, ...]

    @property
    def year(self) -> float:
        """The date as a fractional year (2025-04-01 is about 2025.25), for a chart's axis."""
        start = dt.date(self.date.year, 1, 1)
        days = (dt.date(self.date.year + 1, 1, 1) - start).days
        return self.date.year + (self.date - start).days / days

    def names(self, most: int = 2) -> str:
        """The parameters as short names: "nrdl_listing_hazard, city_insurance_coverage +1"."""
        short = [k.split(".", 1)[-1] for k in self.keys]
        return ", ".join(short[:most]) + (f" +{len(short) - most}" if len(short) > most else "")


def starts_text(starts) -> str:
    """"2026-01-01: market.nrdl_listing_hazard, ...; ...": where a scenario's policies start."""
    return "; ".join(f"{s.date.isoformat()}: {', '.join(s.keys)}" for s in starts)


def _schedule(value) -> Schedule | None:
    """A manifest's value as a Schedule (a number is a constant one); None for a flag or text."""
    if isinstance(value, dict) and isinstance(value.get("knots"), list):
        try:
            return Schedule(tuple((dt.date.fromisoformat(str(d)), float(v)) for d, v in value["knots"]))
        except (TypeError, ValueError):
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Schedule.constant(float(value))
    return None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def departure(value, reference) -> dt.date | None:
    """The first date on which the path of ``value`` parts from ``reference`` (manifest forms:
    a number, knots, or a date for a date parameter); None when they never part or ``value``
    holds from the start (a plain number)."""
    mine, theirs = _schedule(value), _schedule(reference)
    if mine is None or theirs is None:
        day = _date(value)
        return day if day is not None and day != _date(reference) else None
    if mine.is_constant:
        return None  # a plain value: the same from the first day
    days = sorted({d for d, _ in mine.knots + theirs.knots})
    for d in days:  # a step parts on its day, a ramp the day after it starts
        for when in (d, d + dt.timedelta(days=1)):
            if abs(mine.value_on(when) - theirs.value_on(when)) > 1e-12 * max(1.0, abs(theirs.value_on(when))):
                return d
    return None


def policy_starts(manifest: dict, reference: dict | None = None) -> list[PolicyStart]:
    """The dates within the simulated years from which the scenario of ``manifest`` departs
    from ``reference`` (another result's manifest), or, without one, from the catalogue's
    defaults in the values its scenario files or ``--set`` gave; oldest first."""
    from .parameters import CATALOGUE
    from .scenario import default_scenario

    scenario = manifest.get("scenario") if isinstance(manifest, dict) else None
    params = scenario.get("parameters") if isinstance(scenario, dict) else None
    if not isinstance(params, dict):
        return []
    first = dt.date(int(manifest.get("start_year") or 2015), 1, 1)
    last = dt.date(int(manifest.get("horizon_year") or 2045), 12, 31)
    if reference is not None:
        ref_scenario = reference.get("scenario") if isinstance(reference, dict) else None
        ref_params = (ref_scenario or {}).get("parameters") if isinstance(ref_scenario, dict) else None
        ref = ref_params if isinstance(ref_params, dict) else {}
        keys = [k for k in params if k in ref and params[k] != ref[k]]
    else:
        origin = scenario.get("origin") or {}
        defaults = default_scenario().to_dict()["parameters"]
        ref = defaults
        keys = [k for k in params if str(origin.get(k, "default")).endswith((".yaml", ".yml", "--set"))
                and k in defaults]
    found: dict = {}
    for key in keys:
        if key.startswith("simulation.") or key not in CATALOGUE:
            continue
        day = departure(params[key], ref.get(key))
        if day is not None and first < day <= last:
            found.setdefault(day, []).append(key)
    return [PolicyStart(day, tuple(found[day])) for day in sorted(found)]
