"""The parameter catalogue: every model input, declared once with default, unit, range and source.

Validation, ``cgt-sim show``, the JSON Schema and the docs all read from ``CATALOGUE``.
Keys are dotted paths: ``<stage>.<name>`` or ``<stage>.<name>.<modality|cluster|phase>``.

Numeric parameters may change over time in a scenario (a step from a date or a ramp between two
dates); their defaults here may themselves be dated (e.g. the capital climate by year).
Parameters whose source is ``assumption`` carry a ``plausible`` interval: the range a sensitivity
analysis should explore.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MODALITIES = ("autologous_car_t", "allogeneic_cell", "in_vivo_gene", "rna_in_vivo_car")
MODALITY_LABELS = {
    "autologous_car_t": "autologous CAR-T",
    "allogeneic_cell": "allogeneic cell therapy (CAR-NK, iPSC-derived, MSC)",
    "in_vivo_gene": "in-vivo gene therapy (AAV)",
    "rna_in_vivo_car": "RNA / in-vivo CAR",
}
CLUSTERS = ("beijing", "jiangsu", "shanghai", "guangdong", "rest_of_china")
PHASES = ("phase1", "phase2", "phase3")


@dataclass(frozen=True)
class Param:
    key: str
    default: object  # float | int | bool | date | list of (date, value) steps
    unit: str
    low: float | None
    high: float | None
    source: str
    doc: str
    kind: str = "float"  # float | int | bool | date
    plausible: tuple[float, float] | None = None

    @property
    def is_assumption(self) -> bool:
        return self.source == "assumption"

    def range_text(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "date":
            return "a date (YYYY-MM-DD) or a year"
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        return f"{lo} (the only value)" if lo == hi else f"between {lo} and {hi}"


CATALOGUE: dict[str, Param] = {}


def _add(key, default, unit, low, high, source, doc, kind="float", plausible=None):
    if key in CATALOGUE:
        raise RuntimeError(f"parameter {key} declared twice")
    if source == "assumption" and plausible is None and kind in ("float", "int"):
        raise RuntimeError(f"assumed parameter {key} needs a plausible range")
    CATALOGUE[key] = Param(key, default, unit, low, high, source, doc, kind, plausible)


def _each(prefix, suffixes, values, unit, low, high, source, doc, kind="float", plausible=None):
    """Declare one parameter per modality/cluster/phase; values and sources may be dicts."""
    for s in suffixes:
        v = values[s] if isinstance(values, dict) else values
        src = source[s] if isinstance(source, dict) else source
        pl = plausible[s] if isinstance(plausible, dict) else plausible
        if pl is None and src == "assumption" and kind in ("float", "int"):
            pl = (v * 0.5, v * 1.5) if isinstance(v, (int, float)) else None
        _add(f"{prefix}.{s}", v, unit, low, high, src, f"{doc} ({s})", kind, pl)


def _m(a, b, c, d):
    return dict(zip(MODALITIES, (a, b, c, d)))


def _c(a, b, c, d, e):
    return dict(zip(CLUSTERS, (a, b, c, d, e)))


D = dt.date
PROB = (0.0, 1.0)

# --- simulation ----------------------------------------------------------------------------
_add("simulation.start_year", 2015, "year", 2015, 2015, "assumption",
     "first simulated year (before China's first CAR-T INDs, so 2025 is an output); fixed, as the "
     "initial state (the *_2015 parameters, an empty pipeline) is that of 2015",
     kind="int", plausible=(2015, 2015))
_add("simulation.horizon_year", 2045, "year", 2015, 2200, "assumption",
     "last simulated year (the run ends on 31 December of it)", kind="int",
     plausible=(2035, 2045))

# --- research / discovery ------------------------------------------------------------------
_each("research.arrivals_2015", MODALITIES, _m(55.0, 22.0, 14.0, 2.0), "programs/year",
      0.0, 10000.0, "assumption",
      "new discovery programs nationally in 2015; grows with research.arrival_growth",
      plausible=_m((30.0, 90.0), (10.0, 40.0), (6.0, 25.0), (0.5, 5.0)))
_add("research.arrival_growth",
     [(D(2015, 1, 1), 0.20), (D(2021, 1, 1), 0.20), (D(2030, 1, 1), 0.02)],
     "1/year", -0.5, 1.0, "assumption",
     "yearly growth of program arrivals: ~20%/y to 2021 (CDE: 115 CGT trials in 2024, +42%), "
     "easing to 2%/y by 2030 (growth inflection 2030-35, article 002)",
     plausible=(0.0, 0.25))
_each("research.arrival_growth_extra", MODALITIES,
      _m(0.0, 0.02, 0.01, [(D(2015, 1, 1), 0.25), (D(2025, 1, 1), 0.25), (D(2032, 1, 1), 0.0)]),
      "1/year", -0.5, 1.0, "assumption",
      "extra yearly arrival growth of a modality on top of research.arrival_growth "
      "(newer modalities grow faster; RNA/in-vivo CAR's boom fades by 2032)",
      plausible=_m((-0.03, 0.03), (0.0, 0.06), (0.0, 0.04), (0.1, 0.4)))
_add("research.arrival_scale", 1.0, "x", 0.0, 100.0, "assumption",
     "multiplier on all program arrivals (scenario lever; 1 = baseline)", plausible=(0.8, 1.2))
_add("research.capital_elasticity", 0.5, "-", 0.0, 3.0, "assumption",
     "elasticity of program arrivals to financing.capital_climate", plausible=(0.0, 1.0))
_each("research.cluster_weight", CLUSTERS, _c(0.18, 0.20, 0.22, 0.15, 0.25), "share",
      0.0, 1.0, {"beijing": "assumption", "jiangsu": "A002", "shanghai": "assumption",
                 "guangdong": "assumption", "rest_of_china": "assumption"},
      "weight of a cluster among new programs (normalised over clusters); Jiangsu's Suzhou "
      "park holds ~20% of national CGT clinical approvals (article 002)",
      plausible=_c((0.12, 0.25), None, (0.15, 0.3), (0.1, 0.2), (0.15, 0.35)))
_add("research.preclinical_years", 2.5, "years", 0.1, 15.0, "assumption",
     "mean preclinical duration from program start to IND-ready (lognormal)",
     plausible=(1.5, 4.0))
_add("research.preclinical_cv", 0.5, "-", 0.0, 3.0, "assumption",
     "coefficient of variation of preclinical duration", plausible=(0.3, 0.8))
_add("research.preclinical_success", 0.5, "probability", *PROB, "assumption",
     "probability that a discovery program reaches an IND filing or IIT",
     plausible=(0.3, 0.7))
_add("research.ai_duration_multiplier", 1.0, "x", 0.05, 2.0, "A000",
     "multiplier on preclinical duration from AI-assisted design (1 = none; article 000: "
     "AI compresses design cycles measured in years)")

# --- financing -----------------------------------------------------------------------------
_add("financing.capital_climate",
     [(D(2015, 1, 1), 0.91), (D(2019, 1, 1), 0.91), (D(2019, 1, 1), 0.64), (D(2020, 1, 1), 0.64),
      (D(2020, 1, 1), 1.31), (D(2021, 1, 1), 1.31), (D(2021, 1, 1), 1.49), (D(2022, 1, 1), 1.49),
      (D(2022, 1, 1), 0.83), (D(2023, 1, 1), 0.83), (D(2023, 1, 1), 0.77), (D(2024, 1, 1), 0.77),
      (D(2024, 1, 1), 1.0)],
     "index", 0.0, 10.0, "ARM",
     "capital-climate index: yearly global CGT investment / 2018-2024 mean (15.2 bn USD); "
     "2018 value held before 2018, 1.0 after 2024")
_add("financing.climate_elasticity", 1.0, "-", 0.0, 5.0, "assumption",
     "elasticity of round success odds to the capital climate", plausible=(0.5, 2.0))
_add("financing.round_success", 0.55, "probability", *PROB, "assumption",
     "probability that a funding round closes at climate 1.0 (A13, article 002: capital "
     "shortage is the first bottleneck named by firms)", plausible=(0.35, 0.8))
_add("financing.seed_cash_cny", 30e6, "CNY", 0.0, 1e12, "assumption",
     "cash of a new sponsor at founding", plausible=(10e6, 80e6))
_each("financing.round_size_cny", ("preclinical",) + PHASES + ("approval",),
      {"preclinical": 40e6, "phase1": 120e6, "phase2": 250e6, "phase3": 400e6,
       "approval": 400e6},
      "CNY", 0.0, 1e12,
      {"preclinical": "assumption", "phase1": "assumption", "phase2": "assumption",
       "phase3": "A004", "approval": "A004"},
      "median size of a funding round raised before this stage (lognormal, cv 0.5); "
      "late-stage: 400 m CNY Series D (article 004)")
_each("financing.burn_cny_per_month", ("preclinical", "iit") + PHASES + ("review",),
      {"preclinical": 1.2e6, "iit": 1.0e6, "phase1": 1.4e6, "phase2": 2.6e6,
       "phase3": 5.1e6, "review": 1.5e6},
      "CNY/month", 0.0, 1e10,
      {"preclinical": "assumption", "iit": "assumption", "phase1": "TRIALCOST",
       "phase2": "TRIALCOST", "phase3": "TRIALCOST", "review": "assumption"},
      "cash burned per program-month in this stage (trial phases: trial cost / mean duration)")
_add("financing.runway_months", 12.0, "months", 0.0, 120.0, "assumption",
     "a sponsor raises a round when cash covers less than this many months of the next stage",
     plausible=(6.0, 24.0))
_add("financing.retry_months", 6.0, "months", 0.1, 60.0, "assumption",
     "wait after a failed round before trying again", plausible=(3.0, 12.0))
_add("financing.max_stall_months", 24.0, "months", 0.0, 240.0, "assumption",
     "a program without money is abandoned (for financing) after stalling this long",
     plausible=(12.0, 36.0))
_add("financing.follow_on_share", 0.4, "probability", *PROB, "assumption",
     "share of new programs started by an existing sponsor of the same cluster",
     plausible=(0.2, 0.6))
_each("financing.guided_fund_cny", CLUSTERS, 0.0, "CNY", 0.0, 1e13, "A002",
      "guided-fund capital committed to date, which co-invests when a private round fails "
      "(article 002: Suzhou 6 bn and Wuxi 4 bn CNY CGT mother funds; 0 = no fund in the "
      "baseline). Cumulative: the fund may invest this value less what it has invested, so a "
      "step makes it all available at once (it is spent in a year or two) and a ramp "
      "releases it over the ramp")
_add("financing.guided_fund_participation", 0.5, "probability", *PROB, "assumption",
     "chance that a guided fund with money left steps in when a private round fails",
     plausible=(0.2, 0.8))
_add("financing.unconstrained", False, "-", None, None, "assumption",
     "if true, sponsors never run out of money (for analytic validation)", kind="bool")

# --- manufacturing -------------------------------------------------------------------------
# at least one suite: a site without suites cannot serve orders, and it expands only on its backlog
_each("manufacturing.suites_2015", CLUSTERS, _c(30, 35, 40, 20, 25), "suites", 1, 100000,
      "assumption", "GMP manufacturing suites (one batch at a time each) in 2015; for scale, "
      "one 2021 CDMO site (WuXi ATU Lingang) alone has > 200 suites", kind="int",
      plausible=_c((15, 60), (17, 70), (20, 80), (10, 40), (12, 50)))
_add("manufacturing.capacity_unlimited", False, "-", None, None, "assumption",
     "if true, no batch ever waits for a suite (for analytic validation)", kind="bool")
_each("manufacturing.batch_days", MODALITIES, _m(8.0, 10.0, 21.0, 10.0), "days", 0.1, 365.0,
      _m("HARRISON2019", "HARRISON2019", "assumption", "assumption"),
      "suite occupancy per batch (mean; gamma with manufacturing.batch_cv)")
_each("manufacturing.qc_release_days", MODALITIES, _m(11.0, 14.0, 21.0, 10.0), "days",
      0.0, 365.0, _m("EPR2023", "assumption", "assumption", "assumption"),
      "quality-control release after the batch leaves the suite (autologous: 19-day "
      "leukapheresis-to-release less 8 days of processing)")
_add("manufacturing.batch_cv", 0.25, "-", 0.0, 3.0, "assumption",
     "coefficient of variation of batch duration", plausible=(0.1, 0.5))
_each("manufacturing.failure_rate", MODALITIES, _m(0.039, 0.05, 0.05, 0.05), "probability",
      *PROB, _m("UKPANEL", "assumption", "assumption", "assumption"),
      "probability that a batch fails release and must be re-manufactured",
      plausible=_m(None, (0.02, 0.1), (0.02, 0.1), (0.02, 0.1)))
_add("manufacturing.remanufacture_success", 0.5, "probability", *PROB, "UKPANEL",
     "probability that a second manufacturing attempt succeeds")
_each("manufacturing.doses_per_batch", MODALITIES, _m(1, 50, 20, 100), "doses", 1, 100000,
      _m("HARRISON2019", "assumption", "assumption", "assumption"),
      "patient doses per batch: autologous one batch per patient; others one lot for many",
      kind="int", plausible=_m(None, (20, 200), (5, 50), (20, 500)))
_each("manufacturing.materials_cny", MODALITIES, _m(180e3, 120e3, 900e3, 200e3),
      "CNY/batch", 0.0, 1e9, "assumption",
      "materials per batch at the reference volume, incl. viral vector (imported lentiviral "
      "vector is China's main cost driver)")
_each("manufacturing.labour_hours", MODALITIES, _m(80.0, 300.0, 600.0, 200.0), "hours/batch",
      0.0, 1e6, _m("ISPE2025", "assumption", "assumption", "assumption"),
      "operator hours per batch (manual autologous CAR-T ~80 h per dose)")
_add("manufacturing.wage_cny_per_hour", 250.0, "CNY/hour", 0.0, 1e5, "assumption",
     "fully loaded GMP labour cost", plausible=(150.0, 400.0))
_each("manufacturing.qc_cny", MODALITIES, _m(40e3, 60e3, 150e3, 50e3), "CNY/batch", 0.0, 1e9,
      "assumption", "quality-control testing per batch")
_add("manufacturing.suite_overhead_cny_per_year", 3.0e6, "CNY/suite/year", 0.0, 1e10,
     "assumption", "facility overhead (depreciation, utilities, EM, staff) per suite-year, "
     "spread over the batches made", plausible=(1.5e6, 6e6))
_add("manufacturing.import_share", 0.7, "share", *PROB, "A002",
     "share of materials and equipment imported (article 002: core process and equipment "
     "depend on imports)")
_add("manufacturing.import_premium", 0.4, "x", 0.0, 5.0, "assumption",
     "price premium on imported inputs relative to domestic equivalents", plausible=(0.2, 0.8))
_add("manufacturing.learning_rate", 0.15, "per doubling", 0.0, 0.9, "WRIGHT1936",
     "cost reduction per doubling of cumulative batches of a modality (Wright's law; 10-20% "
     "typical of manufacturing)")
_add("manufacturing.learning_reference_batches", 5000.0, "batches", 1.0, 1e9, "assumption",
     "cumulative batches of a modality (trial and commercial, nationally) at which materials, "
     "labour and QC cost their stated values", plausible=(1000.0, 20000.0))
_add("manufacturing.cogs_annual_decline", 0.02, "1/year", -0.5, 0.9, "A003",
     "yearly cost decline from automation (article 003: 'Moore's law' of cell manufacturing), "
     "applied month by month at the rate in force; baseline value is an assumption")
_add("manufacturing.expansion_threshold", 0.8, "share", 0.05, 1.0, "assumption",
     "suite utilisation (share of the coming review window already booked) that, at two "
     "reviews running, triggers building enough suites to bring the backlog back to it", plausible=(0.7, 0.95))
_add("manufacturing.expansion_step", 0.25, "share", 0.0, 10.0, "assumption",
     "minimum suites added per expansion as a share of current suites (at least one)",
     plausible=(0.1, 0.5))
_add("manufacturing.expansion_lead_months", 15.0, "months", 0.0, 120.0, "FOSUNKITE_PLANT",
     "build and qualification time of new GMP suites (plant built in 11 months, plus ~4 "
     "months of qualification, an assumption)")
_add("manufacturing.review_months", 3.0, "months", 0.25, 60.0, "assumption",
     "how often a site reviews utilisation and decides to expand", plausible=(1.0, 6.0))

# --- logistics -----------------------------------------------------------------------------
_add("logistics.transit_days", 2.0, "days", 0.0, 60.0, "assumption",
     "mean cold-chain transit time per shipment (gamma, cv logistics.transit_cv); both directions "
     "counted", plausible=(1.0, 5.0))
_add("logistics.transit_cv", 0.5, "-", 0.0, 3.0, "assumption",
     "coefficient of variation of a shipment's transit time (gamma)", plausible=(0.2, 1.0))
_add("logistics.loss_rate", 0.01, "probability", *PROB, "EPR2023",
     "probability that a shipment is lost or out of specification (axi-cel delivery success "
     "99%)")

# --- clinical ------------------------------------------------------------------------------
_each("clinical.p_phase1", MODALITIES, _m(0.65, 0.55, 0.70, 0.60), "probability", *PROB,
      _m("BIO2016", "ELSALLAB2025", "ELSALLAB2025", "BIO2021"),
      "probability of success of Phase I (haematology 61.8%, BIO 2016)")
_each("clinical.p_phase2", MODALITIES, _m(0.40, 0.25, 0.35, 0.35), "probability", *PROB,
      _m("BIO2021", "ELSALLAB2025", "ELSALLAB2025", "BIO2021"),
      "probability of success of Phase II, set so that the likelihood of approval from "
      "Phase I is near the published figure (CAR-T 13.6-17.3%, CGT 5.3%, AAV 13.6%, all 7.9%)")
_each("clinical.p_phase3", MODALITIES, _m(0.60, 0.45, 0.55, 0.55), "probability", *PROB,
      _m("BIO2016", "BIO2016", "BIO2016", "BIO2016"),
      "probability of success of Phase III (haematology 52.6%, all 58.1%)")
_each("clinical.pivotal_phase2_share", MODALITIES, _m(0.4, 0.1, 0.2, 0.1), "share", *PROB,
      _m("LIU2025", "assumption", "assumption", "assumption"),
      "share of programs whose single-arm Phase II is pivotal (no Phase III); China CAR-Ts "
      "were approved on pivotal Phase II",
      plausible=_m((0.2, 0.6), (0.0, 0.3), (0.05, 0.4), (0.0, 0.3)))
_each("clinical.phase1_years", MODALITIES, _m(1.5, 2.0, 2.0, 2.3), "years", 0.05, 20.0,
      _m("PAREXEL", "BIO2021", "PAREXEL", "BIO2021"),
      "mean Phase I duration (lognormal)")
_each("clinical.phase2_years", MODALITIES, _m(2.0, 3.0, 3.0, 3.6), "years", 0.05, 20.0,
      _m("PAREXEL", "BIO2021", "PAREXEL", "BIO2021"), "mean Phase II duration (lognormal)")
_each("clinical.phase3_years", MODALITIES, _m(2.5, 3.3, 3.3, 3.3), "years", 0.05, 20.0,
      _m("PAREXEL", "BIO2021", "PAREXEL", "BIO2021"), "mean Phase III duration (lognormal)")
_add("clinical.phase_cv", 0.4, "-", 0.0, 3.0, "assumption",
     "coefficient of variation of phase durations", plausible=(0.2, 0.6))
_each("clinical.patients", PHASES, {"phase1": 24, "phase2": 80, "phase3": 250}, "patients",
      0, 100000, "assumption", "patients enrolled (and dosed) per phase", kind="int")
_add("clinical.cohorts_per_phase", 2, "cohorts", 1, 50, "assumption",
     "enrolment cohorts per phase; each cohort is one manufacturing order", kind="int",
     plausible=(1, 4))
_add("clinical.enrolment_share", 0.6, "share", 0.0, 1.0, "assumption",
     "share of a phase's duration over which cohorts are enrolled", plausible=(0.4, 0.8))
_each("clinical.iit_share", MODALITIES, _m(0.5, 0.5, 0.3, 0.4), "share", *PROB, "A001",
      "share of programs that run an investigator-initiated trial before the IND "
      "(dual-track clinical system, article 001); value is an assumption",
      plausible=_m((0.3, 0.7), (0.3, 0.7), (0.1, 0.5), (0.2, 0.6)))
_add("clinical.iit_years", 1.5, "years", 0.05, 20.0, "assumption",
     "mean duration of an investigator-initiated trial (lognormal)", plausible=(1.0, 2.5))
_add("clinical.iit_success", 0.6, "probability", *PROB, "assumption",
     "probability that IIT data support an IND filing", plausible=(0.4, 0.8))
_add("clinical.iit_phase1_factor", 0.5, "x", 0.0, 1.0, "A001",
     "Phase I duration multiplier for programs with IIT data (dual track shortens early "
     "phases, article 001); value is an assumption")
_add("clinical.iit_patients", 15, "patients", 0, 10000, "assumption",
     "patients dosed in an investigator-initiated trial", kind="int", plausible=(6, 40))

# --- regulatory ----------------------------------------------------------------------------
_add("regulatory.ind_pathway_open", D(2017, 12, 18), "date", None, None, "CFDA2017",
     "date from which CGT programs can file INDs (before it only the IIT track runs)",
     kind="date")
_add("regulatory.ind_review_working_days", 60.0, "working days", 1.0, 400.0, "NMPA_IND",
     "IND review clock (implied approval); the Beijing pilot is 30 (article 004)")
_add("regulatory.p_ind_clear", 0.9, "probability", *PROB, "assumption",
     "probability that an IND is cleared (else the program fails)", plausible=(0.8, 0.98))
_add("regulatory.nda_standard_working_days", 200.0, "working days", 1.0, 1000.0, "NMPA_REVIEW",
     "standard marketing-application review clock")
_add("regulatory.nda_priority_working_days", 130.0, "working days", 1.0, 1000.0, "NMPA_REVIEW",
     "priority / breakthrough / conditional review clock")
_each("regulatory.priority_share", MODALITIES, _m(0.6, 0.4, 0.5, 0.3), "share", *PROB,
      "assumption", "share of marketing applications under priority review")
_add("regulatory.sponsor_response_days", 120.0, "days", 0.0, 2000.0, "assumption",
     "mean clock-stop time for sponsor responses during marketing review (exponential)",
     plausible=(60.0, 240.0))
_each("regulatory.p_approval", MODALITIES, _m(0.90, 0.85, 0.90, 0.85), "probability", *PROB,
      _m("BIO2016", "BIO2016", "BIO2016", "BIO2016"),
      "probability a marketing application is approved (filing->approval 82-89%)")

# --- market --------------------------------------------------------------------------------
_each("market.eligible_per_year", MODALITIES, _m(4000.0, 3000.0, 1500.0, 5000.0),
      "patients/year", 0.0, 1e8, _m("CAIXIN2026", "assumption", "assumption", "assumption"),
      "median eligible patients per year of one approved product (lognormal, sigma "
      "market.eligible_sigma); CAR-T: >30,000 eligible / 8 products")
_add("market.eligible_sigma", 0.8, "-", 0.0, 3.0, "assumption",
     "log-sd of eligible patients across products", plausible=(0.5, 1.2))
_add("market.eligible_growth", 0.02, "1/year", -0.5, 1.0, "assumption",
     "yearly growth of eligible populations (ageing, earlier lines of therapy), accrued month "
     "by month at the rate in force",
     plausible=(0.0, 0.06))
_each("market.launch_price_cny", MODALITIES, _m(1.2e6, 0.6e6, 2.0e6, 0.8e6), "CNY/patient",
      0.0, 1e9, _m("PHARMALETTER", "assumption", "assumption", "assumption"),
      "launch list price per treated patient when cost of goods is at "
      "market.reference_cost_per_dose_cny (see market.cost_pass_through)")
_add("market.cost_pass_through", 0.5, "-", 0.0, 2.0, "assumption",
     "elasticity of a new product's launch price to its cost of goods: launch price = "
     "market.launch_price_cny x (national cost per dose at launch / "
     "market.reference_cost_per_dose_cny) ** this (0: prices ignore cost); no source measures "
     "it", plausible=(0.0, 1.0))
_each("market.reference_cost_per_dose_cny", MODALITIES, _m(360e3, 10.7e3, 111e3, 6.2e3), "CNY/dose",
      1.0, 1e9, "assumption",
      "cost of goods per dose at which market.launch_price_cny holds: about the baseline's national "
      "cost per dose in 2021, the year of the first two CAR-T list prices",
      plausible=_m((250e3, 470e3), (7.5e3, 14e3), (78e3, 145e3), (4.3e3, 8.1e3)))
_add("market.price_erosion", 0.03, "1/year", -0.5, 0.9, "assumption",
     "yearly list-price decline after launch, accrued month by month at the rate in force",
     plausible=(0.0, 0.08))
_add("market.nrdl_listing_hazard", 0.0, "share/year", *PROB, "NRDL",
     "yearly probability that an unlisted product enters the national reimbursement list "
     "(drawn month by month; 0: CAR-Ts have been repeatedly excluded)")
_each("market.nrdl_scope", MODALITIES, 1.0, "share", *PROB, "assumption",
      "share of market.nrdl_listing_hazard that applies to the modality's products (1: every "
      "modality alike; 0: not listed, e.g. all but autologous_car_t for 'CAR-T enters the "
      "national list')", plausible=(0.0, 1.0))
_add("market.nrdl_price_cut", 0.6, "share", *PROB, "NRDL_CUTS",
     "negotiated price cut on national-list entry (average 50.6-63% in 2019-2024 rounds)")
_add("market.nrdl_reimbursed_share", 0.6, "share", *PROB, "assumption",
     "share of the listed price paid by basic medical insurance", plausible=(0.5, 0.75))
_add("market.city_insurance_coverage", 0.10, "share", *PROB, "HUIMINBAO",
     "share of eligible patients whose city commercial insurance (Hui Min Bao) covers CGT "
     "(~140 m insured of 1.4 bn in 2021)")
_add("market.city_insurance_cap_cny", 500e3, "CNY", 0.0, 1e9, "HUHUIBAO",
     "city insurance payout cap per patient")
_add("market.city_insurance_deductible_cny", 20e3, "CNY", 0.0, 1e9, "HUHUIBAO",
     "city insurance deductible")
_add("market.city_insurance_paid_share", 0.8, "share", *PROB, "HUHUIBAO",
     "share of the cost above the deductible that city insurance pays")
_add("market.commercial_list_coverage",
     [(D(2015, 1, 1), 0.0), (D(2026, 1, 1), 0.0), (D(2026, 1, 1), 0.05)],
     "share", *PROB, "YICAI2025",
     "share of eligible patients with commercial insurance that pays per the 2026 "
     "Commercial Innovative Drug List (in force 2026-01-01); 5% is an assumption")
_add("market.commercial_list_paid_share", 0.7, "share", *PROB, "assumption",
     "share of the price paid by commercial insurance for a listed product",
     plausible=(0.5, 0.9))
_add("market.ability_to_pay_median_cny", 250e3, "CNY", 0.0, 1e10, "assumption",
     "median out-of-pocket amount an eligible patient's household can pay (lognormal); "
     "article 002: high product cost vs limited ability to pay; scale from NBS2024 (mean urban "
     "household financial assets 649,000 CNY); set so a leading CAR-T treats ~150-200 patients "
     "a year at 1.2 M CNY (relma-cel 168 infusions in 2023)", plausible=(120e3, 400e3))
_add("market.ability_to_pay_sigma", 1.2, "-", 0.05, 5.0, "assumption",
     "log-sd of ability to pay", plausible=(0.8, 1.6))
_add("market.access_ceiling", 0.5, "share", *PROB, "assumption",
     "share of eligible patients reachable through qualified treatment centres",
     plausible=(0.3, 0.8))
_add("market.uptake_midpoint_years", 2.0, "years", 0.0, 20.0, "assumption",
     "years after launch at which uptake reaches half its ceiling (logistic; read at each "
     "product's launch)",
     plausible=(1.0, 4.0))
_add("market.uptake_steepness", 1.5, "1/year", 0.05, 20.0, "assumption",
     "steepness of the logistic uptake curve (read at each product's launch)", plausible=(0.8, 3.0))
_add("market.wait_tolerance_days", 150.0, "days", 1.0, 10000.0, "FRONTIMMUNOL2021",
     "mean days a patient can wait from order to infusion before dropping out (exponential); "
     "value an assumption chosen so 8-30% of patients are never infused")
_add("market.gross_margin_to_sponsor", 1.0, "share", *PROB, "assumption",
     "share of net revenue less cost of goods that returns to the sponsor's cash",
     plausible=(0.5, 1.0))


def modality_params(prefix: str) -> dict[str, str]:
    return {m: f"{prefix}.{m}" for m in MODALITIES}
