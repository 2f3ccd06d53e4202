"""The life of a program: preclinical -> (IIT) -> IND review -> Phase I/II/(III) -> review.

``program_life`` is a plain SimPy generator; each step pays for itself through financing, doses
its patients through the shared manufacturing queue, and draws its outcome from the program's
own pre-drawn uniforms (so a program's science is the same in every scenario: common random
numbers). ``analytic_funnel`` gives the exact approval probability and mean time to approval of
the same chain with money and capacity unconstrained (an absorbing Markov chain), which the
simulation must reproduce.

Durations are lognormal with the stated mean and ``clinical.phase_cv``; phase outcomes are
independent of durations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScenarioError
from ..parameters import CATALOGUE, MODALITIES
from ..scenario import Scenario, load_scenario, whole_number
from ..timeline import DAYS_PER_YEAR, working_to_calendar_days
from .financing import pay_now, secure_funding
from .regulatory import ind_review_days, nda_review_days
from .runparams import RunParams
from .streams import lognormal_from

# Indices into Program.u (uniforms) and Program.z (standard normals).
U_PRECLIN, U_IIT, U_IIT_OK, U_IND, U_P1, U_P2, U_PIVOTAL, U_P3, U_PRIORITY, U_NDA, \
    U_RESPONSE, U_SPONSOR, U_SPONSOR_PICK = range(13)
N_UNIFORMS = 13
Z_PRECLIN, Z_IIT, Z_P1, Z_P2, Z_P3 = range(5)
N_NORMALS = 5


def phase_days(p, modality: str, phase: str, t: float, z: float, factor: float = 1.0) -> float:
    mean = p(f"clinical.{phase}_years.{modality}", t) * DAYS_PER_YEAR * factor
    return lognormal_from(z, mean, p("clinical.phase_cv", t))


def preclinical_days(p, prog, t: float) -> float:
    return lognormal_from(prog.z[Z_PRECLIN], p("research.preclinical_years", t) * DAYS_PER_YEAR
                          * p("research.ai_duration_multiplier", t), p("research.preclinical_cv", t))


def arrive(w, prog, _event=None) -> None:
    """Callback on a program's arrival: found or pick its sponsor, pay for preclinical work.

    Most programs end in preclinical research; when the sponsor can pay at once, their end is
    known now (parameters are schedules, so the success probability at the end date is known)
    and needs neither a process nor a timer (``World.fail_on``). Everything else continues in
    ``program_life``.
    """
    env, p = w.env, w.p
    w.start_program(prog)
    t = env.now
    days = preclinical_days(p, prog, t)
    if not pay_now(w, prog, "preclinical", days):
        start_process(program_life(env, w, prog, days, paid=False))
    elif prog.u[U_PRECLIN] >= p("research.preclinical_success", t + days):
        w.fail_on(prog, t + days)
    else:
        start_process(program_life(env, w, prog, days, paid=True))


def start_process(generator) -> None:
    """Run ``generator`` as a process from now: each event it yields resumes it through a
    callback.

    A program's process is waited on by nothing and never interrupted, so it needs neither
    the start event nor the end event of a ``simpy.Process`` (its first step runs at once, as
    a ``Process`` started now would run it before anything later); those were two of a
    program's seven or so events. The generator yields only fresh timeouts.
    """
    send = generator.send

    def resume(_event=None) -> None:
        try:
            event = send(None)
        except StopIteration:
            return
        event.callbacks.append(resume)

    resume()


def program_life(env, w, prog, days: float, paid: bool):
    """Generator: a program from its preclinical work (``days`` long) to approval, failure or
    abandonment. ``paid``: whether the preclinical budget is already paid."""
    p, m, u, z = w.p, prog.modality, prog.u, prog.z

    # Preclinical research (AI-assisted design shortens it: article 000).
    if not paid and not (yield from secure_funding(w, prog, "preclinical", days)):
        return
    yield env.timeout(days)
    if u[U_PRECLIN] >= p("research.preclinical_success", env.now):
        w.fail(prog, "preclinical")
        return

    # Investigator-initiated trial track (dual track, article 001).
    phase1_factor = 1.0
    if u[U_IIT] < p(f"clinical.iit_share.{m}", env.now):
        prog.iit = True
        t = env.now
        days = lognormal_from(z[Z_IIT], p("clinical.iit_years", t) * DAYS_PER_YEAR, p("clinical.phase_cv", t))
        n = p.int("clinical.iit_patients", t)
        cost = w.dose_price(prog, n, t)
        if not pay_now(w, prog, "iit", days, cost) and not (
                yield from secure_funding(w, prog, "iit", days, cost)):
            return
        w.set_state(prog, w.IIT)
        yield from run_trial(env, w, prog, n, days)
        if u[U_IIT_OK] >= p("clinical.iit_success", env.now):
            w.fail(prog, "iit")
            return
        phase1_factor = p("clinical.iit_phase1_factor", env.now)

    # The registration route opens in Dec 2017 (CFDA guideline); earlier programs wait.
    open_day = p("regulatory.ind_pathway_open", env.now)
    if env.now < open_day:
        yield env.timeout(open_day - env.now)

    # IND review (implied approval clock).
    w.set_state(prog, w.IND_REVIEW)
    yield env.timeout(ind_review_days(p, env.now))
    if u[U_IND] >= p("regulatory.p_ind_clear", env.now):
        w.fail(prog, "ind_review")
        return
    w.ind_cleared(prog)

    # Phases I-III; a share of programs run a pivotal single-arm Phase II instead of Phase III.
    for phase, zi, ui in (("phase1", Z_P1, U_P1), ("phase2", Z_P2, U_P2), ("phase3", Z_P3, U_P3)):
        t = env.now
        if phase == "phase3" and u[U_PIVOTAL] < p(f"clinical.pivotal_phase2_share.{m}", t):
            continue
        days = phase_days(p, m, phase, t, z[zi], phase1_factor if phase == "phase1" else 1.0)
        n = p.int(f"clinical.patients.{phase}", t)
        cost = w.dose_price(prog, n, t)
        if not pay_now(w, prog, phase, days, cost) and not (
                yield from secure_funding(w, prog, phase, days, cost)):
            return
        w.set_state(prog, w.STATE_OF_PHASE[phase])
        yield from run_trial(env, w, prog, n, days)
        if u[ui] >= p(f"clinical.p_{phase}.{m}", env.now):
            w.fail(prog, phase)
            return

    # Marketing application review.
    t = env.now
    days = nda_review_days(p, m, t, u[U_PRIORITY], u[U_RESPONSE])
    if not pay_now(w, prog, "review", days) and not (
            yield from secure_funding(w, prog, "review", days)):
        return
    w.set_state(prog, w.NDA_REVIEW)
    yield env.timeout(days)
    if u[U_NDA] >= p(f"regulatory.p_approval.{m}", env.now):
        w.fail(prog, "nda_review")
        return
    w.approve(prog)


def run_trial(env, w, prog, patients: int, days: float):
    """Generator: enrol ``patients`` in cohorts over the enrolment window, dosing each cohort
    through the manufacturing queue; the trial lasts ``days`` plus any congestion delay."""
    p = w.p
    t0 = env.now
    k = max(1, p.int("clinical.cohorts_per_phase", t0))
    gap = p("clinical.enrolment_share", t0) * days / k
    delay = 0.0
    per = patients // k
    extra = patients - per * k
    for i in range(k):
        if i and gap > 0:
            yield env.timeout(gap)
        n = per + (1 if i < extra else 0)
        delay += w.dose_trial_cohort(prog, n)
    remaining = days - (env.now - t0) + delay
    if remaining > 0:
        yield env.timeout(remaining)


# --- analytic funnel ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Funnel:
    """Exact outcome of the chain with money and capacity unconstrained."""

    p_approval: float  # from program start (discovery) to approval
    p_approval_from_phase1: float  # likelihood of approval once Phase I starts
    mean_days_to_approval: float  # mean time from program start, given approval (NaN if none can be)
    mean_days_phase1_to_approval: float  # mean time from Phase I start, given approval (NaN if none can be)


def analytic_funnel(scenario, modality: str, *, year: int | None = None, t: float | None = None) -> Funnel:
    """Approval probability and mean time to approval of one program.

    ``scenario``: a ``Scenario``, the path of a scenario file, or a parameter lookup
    ``p(key, day)``; ``modality``: one of ``MODALITIES``; ``year``: the program starts on
    1 January of that year (default the scenario's start year), or ``t``: the simulation day
    it starts (with a lookup). Parameters are read then (for scenarios whose parameters do not
    change over the life of the program); uncertain parameters take their scenario values.
    Assumes the IND pathway is open and no financing or manufacturing delays: the model's
    program chain as an absorbing Markov chain. Returns a ``Funnel``: p_approval (from program
    start), p_approval_from_phase1, mean_days_to_approval and mean_days_phase1_to_approval
    (calendar days, among approved programs; NaN where approval has probability 0).
    """
    if not isinstance(modality, str) or modality not in MODALITIES:
        raise ScenarioError("modality", None, f"unknown modality {modality!r}; choose one of " + ", ".join(MODALITIES))
    p = scenario
    if not isinstance(p, (Scenario, str, Path)) and not callable(p):
        raise ScenarioError("analytic_funnel", None, f"takes a scenario, a scenario file or a parameter lookup, "
                            f"not a {type(p).__name__}")
    if year is not None and t is not None:
        raise ValueError("give year= or t=, not both")
    t = 0.0 if t is None else t
    if isinstance(p, (Scenario, str, Path)):
        sc = p if isinstance(p, Scenario) else load_scenario(p)
        p = RunParams(sc, sc.clock)
        if year is not None:
            last = int(CATALOGUE["simulation.horizon_year"].high)
            year = whole_number(year, "year", sc.start_year)
            if year > last:
                raise ScenarioError("year", None, f"must be a year from {sc.start_year} to {last} (got {year})")
            t = sc.clock.year_start_day(year)
    elif year is not None:
        raise ValueError("year= needs a scenario; with a parameter lookup give the day t")
    m = modality
    Y = DAYS_PER_YEAR
    pre_s = p("research.preclinical_success", t)
    pre_d = p("research.preclinical_years", t) * Y * p("research.ai_duration_multiplier", t)
    iit_share = p(f"clinical.iit_share.{m}", t)
    iit_s = p("clinical.iit_success", t)
    iit_d = p("clinical.iit_years", t) * Y
    f1 = p("clinical.iit_phase1_factor", t)
    ind_s = p("regulatory.p_ind_clear", t)
    ind_d = ind_review_days(p, t)
    p1, p2, p3 = (p(f"clinical.p_{ph}.{m}", t) for ph in ("phase1", "phase2", "phase3"))
    d1, d2, d3 = (p(f"clinical.{ph}_years.{m}", t) * Y for ph in ("phase1", "phase2", "phase3"))
    piv = p(f"clinical.pivotal_phase2_share.{m}", t)
    nda_s = p(f"regulatory.p_approval.{m}", t)
    prio = p(f"regulatory.priority_share.{m}", t)
    nda_d = (prio * working_to_calendar_days(p("regulatory.nda_priority_working_days", t))
             + (1 - prio) * working_to_calendar_days(p("regulatory.nda_standard_working_days", t))
             + p("regulatory.sponsor_response_days", t))
    late = p2 * (piv + (1 - piv) * p3) * nda_s  # from Phase II start
    # mean Phase III time among approved programs (pivotal ones skip it)
    w3 = (1 - piv) * p3 / (piv + (1 - piv) * p3) if (piv + (1 - piv) * p3) > 0 else 0.0
    late_d = d2 + w3 * d3 + nda_d
    # two tracks into the IND: direct, or via an IIT (which shortens Phase I)
    a_direct = (1 - iit_share) * ind_s * p1 * late
    a_iit = iit_share * iit_s * ind_s * p1 * late
    p_total = pre_s * (a_direct + a_iit)
    if a_direct + a_iit > 0:
        w_iit = a_iit / (a_direct + a_iit)
    else:
        w_iit = 0.0
    mean_total = pre_d + w_iit * iit_d + ind_d + (w_iit * f1 + (1 - w_iit) * 1.0) * d1 + late_d
    # from Phase I start: mix of IIT and direct programs that reach Phase I (both pass the IND
    # review, so its odds cancel: the mix stays defined where it is 0)
    reach_direct = 1 - iit_share
    reach_iit = iit_share * iit_s
    # (none reach it only with every program on the IIT track and none passing it: the
    # limit is then the IIT track alone)
    w_iit1 = reach_iit / (reach_direct + reach_iit) if (reach_direct + reach_iit) > 0 else 1.0
    mean_from_p1 = (w_iit1 * f1 + (1 - w_iit1)) * d1 + late_d
    # a mean time to approval is undefined where approval cannot happen
    return Funnel(p_total, p1 * late, mean_total if p_total > 0 else math.nan,
                  mean_from_p1 if p1 * late > 0 else math.nan)
