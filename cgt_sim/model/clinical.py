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
from typing import TYPE_CHECKING

from ..errors import OptionError
from ..parameters import CATALOGUE, MODALITIES, PHASES
from ..scenario import Scenario, load_scenario, whole_number
from ..timeline import DAYS_PER_YEAR
from .program import (
    U_IIT,
    U_IIT_OK,
    U_IND,
    U_NDA,
    U_P1,
    U_P2,
    U_P3,
    U_PIVOTAL,
    U_PRECLIN,
    U_PRIORITY,
    U_RESPONSE,
    Z_IIT,
    Z_P1,
    Z_P2,
    Z_P3,
    Z_PRECLIN,
    Program,
    State,
)
from .regulatory import RegulatoryInputs
from .runparams import Count, LookupParams, ParamSource, RunParams, Value
from .streams import gamma_draw, lognormal_from

if TYPE_CHECKING:
    from .world import World

PHASE_DRAWS = (("phase1", Z_P1, U_P1), ("phase2", Z_P2, U_P2), ("phase3", Z_P3, U_P3))
STATE_OF_PHASE = {"phase1": State.PHASE1, "phase2": State.PHASE2, "phase3": State.PHASE3}


@dataclass(frozen=True, slots=True)
class ClinicalInputs:
    preclinical_years: Value
    preclinical_cv: Value
    preclinical_success: Value
    ai_duration_multiplier: Value
    iit_share: dict[str, Value]  # by modality
    iit_years: Value
    iit_success: Value
    iit_phase1_factor: Value
    iit_patients: Count
    phase_years: dict[str, dict[str, Value]]  # [phase][modality]
    phase_cv: Value
    p_phase: dict[str, dict[str, Value]]  # [phase][modality]
    pivotal_phase2_share: dict[str, Value]  # by modality
    patients: dict[str, Count]  # by phase
    cohorts_per_phase: Count
    enrolment_share: Value
    regulatory: RegulatoryInputs

    @classmethod
    def bind(cls, params: ParamSource) -> ClinicalInputs:
        b, count = params.bind, params.bind_whole
        return cls(
            preclinical_years=b("research.preclinical_years"),
            preclinical_cv=b("research.preclinical_cv"),
            preclinical_success=b("research.preclinical_success"),
            ai_duration_multiplier=b("research.ai_duration_multiplier"),
            iit_share={m: b(f"clinical.iit_share.{m}") for m in MODALITIES},
            iit_years=b("clinical.iit_years"),
            iit_success=b("clinical.iit_success"),
            iit_phase1_factor=b("clinical.iit_phase1_factor"),
            iit_patients=count("clinical.iit_patients"),
            phase_years={ph: {m: b(f"clinical.{ph}_years.{m}") for m in MODALITIES} for ph in PHASES},
            phase_cv=b("clinical.phase_cv"),
            p_phase={ph: {m: b(f"clinical.p_{ph}.{m}") for m in MODALITIES} for ph in PHASES},
            pivotal_phase2_share={m: b(f"clinical.pivotal_phase2_share.{m}") for m in MODALITIES},
            patients={ph: count(f"clinical.patients.{ph}") for ph in PHASES},
            cohorts_per_phase=count("clinical.cohorts_per_phase"),
            enrolment_share=b("clinical.enrolment_share"),
            regulatory=RegulatoryInputs.bind(params),
        )

    def phase_days(self, modality: str, phase: str, t: float, z: float, factor: float = 1.0) -> float:
        mean = self.phase_years[phase][modality](t) * DAYS_PER_YEAR * factor
        return lognormal_from(z, mean, self.phase_cv(t))

    def preclinical_days(self, program: Program, t: float) -> float:
        return lognormal_from(program.normals[Z_PRECLIN], self.preclinical_years(t) * DAYS_PER_YEAR
                              * self.ai_duration_multiplier(t), self.preclinical_cv(t))


def arrive(world: World, program: Program, _event=None) -> None:
    """Callback on a program's arrival: found or pick its sponsor, pay for preclinical work.

    Most programs end in preclinical research; when the sponsor can pay at once, their end is
    known now (parameters are schedules, so the success probability at the end date is known)
    and needs neither a process nor a timer (``Accounts.fail_on``). Everything else continues in
    ``program_life``.
    """
    world.start_program(program)
    inputs, t = world.clinical, world.env.now
    days = inputs.preclinical_days(program, t)
    if not world.financing.pay_now(program, "preclinical", days):
        start_process(program_life(world, program, days, paid=False))
    elif program.uniforms[U_PRECLIN] >= inputs.preclinical_success(t + days):
        world.accounts.fail_on(program, t + days)
    else:
        start_process(program_life(world, program, days, paid=True))


def start_process(generator) -> None:
    """Run ``generator`` as a process from now: each event it yields resumes it through a
    callback.

    A program's process is waited on by nothing and never interrupted, so it needs neither
    the start event nor the end event of a ``simpy.Process`` (its first step runs at once, as
    a ``Process`` started now would run it before anything later). The generator yields only
    fresh timeouts.
    """
    send = generator.send

    def resume(_event=None) -> None:
        try:
            event = send(None)
        except StopIteration:
            return
        event.callbacks.append(resume)

    resume()


def program_life(world: World, program: Program, days: float, paid: bool):
    """Generator: a program from its preclinical work (``days`` long) to approval, failure or
    abandonment. ``paid``: whether the preclinical budget is already paid."""
    env, inputs, financing, accounts = world.env, world.clinical, world.financing, world.accounts
    regulatory = inputs.regulatory
    m, uniforms, normals = program.modality, program.uniforms, program.normals

    # Preclinical research (AI-assisted design shortens it: article 000).
    if not paid and not (yield from financing.secure_funding(program, "preclinical", days)):
        return
    yield env.timeout(days)
    if uniforms[U_PRECLIN] >= inputs.preclinical_success(env.now):
        accounts.fail(program, "preclinical", env.now)
        return

    # Investigator-initiated trial track (dual track, article 001).
    phase1_factor = 1.0
    if uniforms[U_IIT] < inputs.iit_share[m](env.now):
        program.iit = True
        t = env.now
        days = lognormal_from(normals[Z_IIT], inputs.iit_years(t) * DAYS_PER_YEAR, inputs.phase_cv(t))
        n = inputs.iit_patients(t)
        cost = dose_price(world, program, n, t)
        if not financing.pay_now(program, "iit", days, cost) and not (
                yield from financing.secure_funding(program, "iit", days, cost)):
            return
        accounts.move(program, State.IIT)
        yield from run_trial(world, program, n, days)
        if uniforms[U_IIT_OK] >= inputs.iit_success(env.now):
            accounts.fail(program, "iit", env.now)
            return
        phase1_factor = inputs.iit_phase1_factor(env.now)

    # The registration route opens in Dec 2017 (CFDA guideline); earlier programs wait.
    open_day = regulatory.ind_pathway_open(env.now)
    if env.now < open_day:
        yield env.timeout(open_day - env.now)

    # IND review (implied approval clock).
    accounts.move(program, State.IND_REVIEW)
    yield env.timeout(regulatory.ind_review_days(env.now))
    if uniforms[U_IND] >= regulatory.p_ind_clear(env.now):
        accounts.fail(program, "ind_review", env.now)
        return
    accounts.ind_cleared(program, env.now)

    # Phases I-III; a share of programs run a pivotal single-arm Phase II instead of Phase III.
    for phase, z_index, u_index in PHASE_DRAWS:
        t = env.now
        if phase == "phase3" and uniforms[U_PIVOTAL] < inputs.pivotal_phase2_share[m](t):
            continue
        days = inputs.phase_days(m, phase, t, normals[z_index], phase1_factor if phase == "phase1" else 1.0)
        n = inputs.patients[phase](t)
        cost = dose_price(world, program, n, t)
        if not financing.pay_now(program, phase, days, cost) and not (
                yield from financing.secure_funding(program, phase, days, cost)):
            return
        accounts.move(program, STATE_OF_PHASE[phase])
        yield from run_trial(world, program, n, days)
        if uniforms[u_index] >= inputs.p_phase[phase][m](env.now):
            accounts.fail(program, phase, env.now)
            return

    # Marketing application review.
    t = env.now
    days = regulatory.nda_review_days(m, t, uniforms[U_PRIORITY], uniforms[U_RESPONSE])
    if not financing.pay_now(program, "review", days) and not (
            yield from financing.secure_funding(program, "review", days)):
        return
    world.plants.consider(program)  # a plant of its own, ready about when approved?
    accounts.move(program, State.NDA_REVIEW)
    yield env.timeout(days)
    if uniforms[U_NDA] >= regulatory.p_approval[m](env.now):
        accounts.fail(program, "nda_review", env.now)
        return
    world.approve(program)


def run_trial(world: World, program: Program, patients: int, days: float):
    """Generator: enrol ``patients`` in cohorts over the enrolment window, dosing each cohort
    through the manufacturing queue; the trial lasts ``days`` plus any congestion delay."""
    env, inputs = world.env, world.clinical
    t0 = env.now
    k = max(1, inputs.cohorts_per_phase(t0))
    gap = inputs.enrolment_share(t0) * days / k
    delay = 0.0
    per = patients // k
    extra = patients - per * k
    for i in range(k):
        if i and gap > 0:
            yield env.timeout(gap)
        n = per + (1 if i < extra else 0)
        delay += dose_cohort(world, program, n)
    remaining = days - (env.now - t0) + delay
    if remaining > 0:
        yield env.timeout(remaining)


def dose_price(world: World, program: Program, patients: int, t: float) -> float:
    """Contracted manufacturing cost of a trial's doses, paid with the stage budget."""
    if patients <= 0:
        return 0.0
    made, m = world.manufacturing, program.modality
    batches = -(-patients // max(1, made.doses_per_batch[m](t)))
    return batches * world.cost_of_goods.batch_cost(m, t, made.batch_days[m](t), world.sites[program.cluster])


def dose_cohort(world: World, program: Program, patients: int) -> float:
    """Book a trial cohort's batches (failed batches are re-made) at the program's cluster
    site; return the congestion delay in days."""
    if patients <= 0:
        return 0.0
    made, t, m = world.manufacturing, world.env.now, program.modality
    rng = world.rng["manufacturing"]
    batches = -(-patients // max(1, made.doses_per_batch[m](t)))
    n = batches + int(rng.binomial(batches, made.failure_rate[m](t)))
    d = gamma_draw(rng, made.batch_days[m](t), made.batch_cv(t))
    site = world.sites[program.cluster]
    booking = site.book(t, n, d)
    world.cost_of_goods.made(m, n)
    flows = world.accounts.flows
    yi = world.accounts.year_of_day(t)
    flows["batches_clinical"][yi] += n
    flows["patients_trial_dosed"][yi] += patients
    flows["trial_manufacturing_cost_cny"][yi] += n * world.cost_of_goods.batch_cost(m, t, d, site)
    return booking.mean_wait


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
        raise OptionError("modality", f"unknown modality {modality!r}; choose one of " + ", ".join(MODALITIES))
    source = scenario
    if not isinstance(source, (Scenario, str, Path)) and not callable(source):
        raise OptionError("scenario", "analytic_funnel takes a scenario, a scenario file or a parameter lookup, "
                          f"not a {type(source).__name__}")
    if year is not None and t is not None:
        raise ValueError("give year= or t=, not both")
    t = 0.0 if t is None else t
    params: ParamSource
    if isinstance(source, (Scenario, str, Path)):
        sc = source if isinstance(source, Scenario) else load_scenario(source)
        params = RunParams(sc, sc.clock)
        if year is not None:
            last = int(CATALOGUE["simulation.horizon_year"].high or 0)
            year = whole_number(year, "year", sc.start_year)
            if year > last:
                raise OptionError("year", f"must be a year from {sc.start_year} to {last} (got {year})")
            t = sc.clock.year_start_day(year)
    elif year is not None:
        raise ValueError("year= needs a scenario; with a parameter lookup give the day t")
    else:
        params = source if isinstance(source, RunParams) else LookupParams(source)
    inputs = ClinicalInputs.bind(params)
    regulatory = inputs.regulatory
    m = modality
    Y = DAYS_PER_YEAR
    pre_s = inputs.preclinical_success(t)
    pre_d = inputs.preclinical_years(t) * Y * inputs.ai_duration_multiplier(t)
    iit_share = inputs.iit_share[m](t)
    iit_s = inputs.iit_success(t)
    iit_d = inputs.iit_years(t) * Y
    f1 = inputs.iit_phase1_factor(t)
    ind_s = regulatory.p_ind_clear(t)
    ind_d = regulatory.ind_review_days(t)
    p1, p2, p3 = (inputs.p_phase[ph][m](t) for ph in PHASES)
    d1, d2, d3 = (inputs.phase_years[ph][m](t) * Y for ph in PHASES)
    piv = inputs.pivotal_phase2_share[m](t)
    nda_s = regulatory.p_approval[m](t)
    nda_d = regulatory.mean_nda_review_days(m, t)
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
