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
# The indications China's CGT pipeline targets: the units of demand. Products of one indication
# share its patients.
INDICATIONS = ("lbcl", "b_all", "myeloma", "indolent_b", "gi_solid", "liver_solid", "other_solid",
               "autoimmune", "haemoglobinopathy", "haemophilia", "rare_genetic", "gvhd", "degenerative")
INDICATION_LABELS = {
    "lbcl": "relapsed/refractory large B-cell lymphoma",
    "b_all": "relapsed/refractory B-cell acute lymphoblastic leukaemia",
    "myeloma": "relapsed/refractory multiple myeloma",
    "indolent_b": "relapsed/refractory mantle-cell, follicular lymphoma and CLL",
    "gi_solid": "gastric and gastro-oesophageal cancer (Claudin18.2+, late line)",
    "liver_solid": "hepatocellular carcinoma (GPC3+, late line)",
    "other_solid": "other solid tumours (recurrent glioblastoma, lung, ovarian; antigen-selected, late line)",
    "autoimmune": "refractory autoimmune disease (lupus, myasthenia gravis, multiple sclerosis)",
    "haemoglobinopathy": "transfusion-dependent beta-thalassaemia",
    "haemophilia": "haemophilia A and B (adult, moderate to severe)",
    "rare_genetic": "other rare genetic disease (SMA, DMD, inherited retinal disease)",
    "gvhd": "steroid-refractory acute graft-versus-host disease",
    "degenerative": "degenerative and regenerative indications of stem-cell products (e.g. knee osteoarthritis)",
}


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
_each("research.arrivals_2015", MODALITIES, _m(80.0, 30.0, 20.0, 3.0), "programs/year",
      0.0, 10000.0, "assumption",
      "candidate discovery programs nationally in 2015 (of which those whose indication promises "
      "enough revenue start: research.start_revenue_cny); grows with research.arrival_growth",
      plausible=_m((40.0, 150.0), (10.0, 80.0), (6.0, 50.0), (0.5, 8.0)))
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
_add("research.start_revenue_cny", 100e6, "CNY/year", 1.0, 1e12, "assumption",
     "yearly revenue a product entering an indication now could expect at maturity (its share as "
     "the next entrant of the patients reached, at its modality's catalogue price and the payers "
     "in force) at which half the programs that would target the indication are started (a "
     "program starts with probability R / (R + this)): investors fund few late entrants once an "
     "indication is crowded, more where payers open a market", plausible=(30e6, 300e6))
_add("research.development_capacity", 2000, "programs", 1.0, 1e7, "assumption",
     "programs in development at once (started, not yet approved or ended) that China's CGT "
     "capital, talent and trial sites carry; above it a candidate program starts with its "
     "revenue-led probability x (this / programs in development) ** research.capacity_elasticity. "
     "2,000 programs spend about 33 bn CNY a year (16-17 M CNY each in the model), about 30% "
     "of the world's CGT investment (ARM: 15.2 bn USD in 2024), between China's share of the "
     "world's innovative-drug pipelines (1 in 4, article 002) and its share of CGT trials "
     "(> 50%); China's cell-therapy firms raised 2.37 bn USD in 2021 (BIOWORLD2021)",
     plausible=(1500, 3500))
_add("research.capacity_elasticity", 3.0, "-", 0.0, 20.0, "assumption",
     "how steeply starts fall once programs in development exceed research.development_capacity "
     "(0: no ceiling; 3 holds a demand for 2x the capacity to 1.19x it)", plausible=(1.0, 6.0))
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
_add("manufacturing.expansion_threshold", 0.85, "share", 0.05, 2.0, "assumption",
     "forecast utilisation of a site's suites (installed and being built) at the end of the "
     "build lead time that triggers an expansion", plausible=(0.75, 0.95))
_add("manufacturing.expansion_target_utilisation", 0.7, "share", 0.05, 1.0, "assumption",
     "utilisation an expansion sizes the site for, at the forecast demand (below the trigger: "
     "hysteresis)", plausible=(0.6, 0.8))
_add("manufacturing.retirement_threshold", 0.4, "share", 0.0, 1.0, "assumption",
     "utilisation of a site's suites below which, forecast and over the year before it, with "
     "nothing being built, it retires idle suites, half of those above what would bring it to "
     "manufacturing.expansion_target_utilisation at each review, never below the suites it "
     "started with (0: suites are never retired). CDMOs shed capacity that stays idle: WuXi ATU "
     "stopped most lines of its 200-suite Lingang plant within 2.5 years for low utilisation "
     "(WUXI_ATU_LINGANG); CGT CDMOs below 60% utilisation in 2024-2025 (CDMO_SHAKEOUT2025); "
     "the level itself is an assumption", plausible=(0.25, 0.55))
_add("manufacturing.demand_window_months", 12.0, "months", 1.0, 120.0, "assumption",
     "window over which a site measures the suite time ordered from it (its demand) and that "
     "demand's growth, for the forecast", plausible=(6.0, 24.0))
_add("manufacturing.expansion_lead_months", 15.0, "months", 0.0, 120.0, "FOSUNKITE_PLANT",
     "build and qualification time of new GMP suites (plant built in 11 months, plus ~4 "
     "months of qualification, an assumption)")
_add("manufacturing.review_months", 3.0, "months", 0.25, 60.0, "assumption",
     "how often a site reviews utilisation and decides to expand", plausible=(1.0, 6.0))
_each("manufacturing.own_plant_share", MODALITIES, _m(0.9, 0.5, 0.5, 0.5), "probability", *PROB,
      _m("PLANT_CAPEX", "assumption", "assumption", "assumption"),
      "chance that a sponsor builds its own commercial plant when it files its first marketing "
      "application (of this modality), so that the plant is ready about when the product is "
      "approved: every CAR-T marketed in China is made in its sponsor's plant (JW Suzhou; Fosun "
      "Kite Shanghai, built in 2019 before its 2021 approval; IASO Nanjing; CARsgen Shanghai; "
      "Legend Nanjing); other modalities use CDMOs more (an assumption)",
      plausible=_m((0.7, 1.0), (0.2, 0.8), (0.2, 0.8), (0.2, 0.8)))
_add("manufacturing.own_plant_capex_cny", 200e6, "CNY", 0.0, 1e11, "PLANT_CAPEX",
     "capital cost of a commercial cell-therapy plant, paid from the sponsor's cash (JW "
     "Therapeutics Suzhou up to 30 M USD; CARsgen's Shanghai commercial base 370 M CNY)",
     plausible=(100e6, 400e6))
_add("manufacturing.own_plant_lead_months", 12.0, "months", 0.0, 120.0, "FOSUNKITE_PLANT",
     "build and qualification time of a sponsor's plant (Fosun Kite's Shanghai plant in under a "
     "year; CARsgen's US plant in 12 months)", plausible=(9.0, 24.0))
_add("manufacturing.own_plant_suites", 2, "suites", 1, 10000, "assumption",
     "the fewest suites a sponsor's plant starts with; it is sized for the patients its product "
     "can expect in its first year (its indication's patients reached, its share as the next "
     "entrant, the uptake a year after launch, at the expansion target utilisation) and then "
     "grows with its demand by the same "
     "rule as a CDMO site (CARsgen's US plant makes up to 700 patients a year, about 20 suites "
     "at 10 days a batch)", kind="int", plausible=(1, 10))

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
_each("clinical.p_phase2", MODALITIES, _m(0.31, 0.17, 0.34, 0.35), "probability", *PROB,
      _m("ELSALLAB2025", "ELSALLAB2025", "ELSALLAB2025", "BIO2021"),
      "probability of success of Phase II, set so that the likelihood of approval from Phase I "
      "matches the CGT-specific figures of Elsallab et al. 2025: CAR-T 13.6% (95% CI 7.3-23.9), AAV "
      "gene therapy 13.6% (6.4-26.7); other cell therapies ~4%, the rate their pooled 5.3% (4.0-6.9) "
      "implies for the products that are neither; RNA / in-vivo CAR: all drugs 7.9% (BIO 2021)")
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

# --- demand: indications ---------------------------------------------------------------------
def _i(**values):
    """A value per indication (0 for those not given)."""
    return {i: values.get(i, 0.0) for i in INDICATIONS}


_each("demand.eligible_2025", INDICATIONS,
      _i(lbcl=3600.0, b_all=2800.0, myeloma=2500.0, indolent_b=3000.0, gi_solid=31600.0,
         liver_solid=38600.0, other_solid=28400.0, rare_genetic=1600.0, gvhd=1200.0, degenerative=20000.0),
      "patients/year", 0.0, 1e8,
      _i(lbcl="PACIS2024", b_all="CCLG2008", myeloma="TANG2023_MM", indolent_b="assumption",
         gi_solid="NCC2022", liver_solid="NCC2022", other_solid="NCC2022", autoimmune="SLE_GUIDE2020",
         haemoglobinopathy="THAL_BLUEBOOK2015", haemophilia="HEMO_REPORT2023", rare_genetic="SMA_GUIDE2023",
         gvhd="XU2021_HSCT", degenerative="assumption"),
      "patients a year who newly reach the line of therapy a CGT serves, in 2025 (a flow: those "
      "not treated leave it). LBCL 3rd line+: 45,000 DLBCL x 8% (NHL 92,834 in 2020, GLOBOCAN; "
      "DLBCL 45%; German claims 5.2% reach LOT3+); B-ALL: 950 children (relapse 15.3%, CCLG-ALL "
      "2008) + 1,875 adults (assumption); myeloma 4th line+: 22,000 new cases (1.60/10^5, insurance "
      "claims) x 11.5% (West China cohort); MCL/FL/CLL r/r: assumption from subtype shares; solid "
      "tumours: NCC 2022 incidence x late-line and biomarker shares (assumptions: gastric x 20% x "
      "50% Claudin18.2 x 88% HER2-; HCC x 87.5% x 80% GPC3 x 15%; glioblastoma, lung 1%, ovarian "
      "10%); SMA and DMD births (carrier 1.2-2.2%; 1/5,000 male births; 7.92 m births); "
      "steroid-refractory aGVHD: ~14,000 allo-HSCT x 35% x 40% x 60%; degenerative: assumption. "
      "Chronic diseases are pools (demand.prevalent_2025)",
      plausible=_i(lbcl=(1800.0, 6500.0), b_all=(1700.0, 5300.0), myeloma=(1400.0, 5600.0),
                   indolent_b=(1500.0, 5400.0), gi_solid=(12600.0, 56800.0), liver_solid=(12500.0, 62900.0),
                   other_solid=(12900.0, 57400.0), autoimmune=(0.0, 0.0), haemoglobinopathy=(0.0, 0.0),
                   haemophilia=(0.0, 0.0), rare_genetic=(700.0, 2300.0), gvhd=(450.0, 2700.0),
                   degenerative=(5000.0, 100000.0)))
_each("demand.prevalent_2025", INDICATIONS,
      _i(autoimmune=98000.0, haemoglobinopathy=100000.0, haemophilia=9300.0, rare_genetic=1000.0),
      "patients", 0.0, 1e9,
      _i(lbcl="assumption", b_all="assumption", myeloma="assumption", indolent_b="assumption",
         gi_solid="assumption", liver_solid="assumption", other_solid="assumption",
         autoimmune="KANDANE2025", haemoglobinopathy="THAL_BLUEBOOK2015", haemophilia="HEMO_REPORT2023",
         rare_genetic="IRD_REVIEW2022", gvhd="assumption", degenerative="assumption"),
      "untreated prevalent patients of a chronic indication in 2025 (a pool that one-time "
      "therapies drain; 0 for acute indications): refractory lupus 702,000 SLE (50/10^5) x 14% "
      "severe refractory; transfusion-dependent thalassaemia ~300,000 major + intermedia x 1/3; "
      "haemophilia 50,600 (3.6/10^5) x adult moderate-severe AAV-eligible shares (assumptions); "
      "RPE65 retinal disease ~1,000",
      plausible=_i(autoimmune=(25000.0, 138000.0), haemoglobinopathy=(60000.0, 150000.0),
                   haemophilia=(4200.0, 12300.0), rare_genetic=(200.0, 5500.0), lbcl=(0.0, 0.0),
                   b_all=(0.0, 0.0), myeloma=(0.0, 0.0), indolent_b=(0.0, 0.0), gi_solid=(0.0, 0.0),
                   liver_solid=(0.0, 0.0), other_solid=(0.0, 0.0), gvhd=(0.0, 0.0), degenerative=(0.0, 0.0)))
_each("demand.pool_inflow_2025", INDICATIONS,
      _i(autoimmune=13500.0, haemoglobinopathy=2000.0, haemophilia=300.0, rare_genetic=50.0),
      "patients/year", 0.0, 1e8,
      _i(lbcl="assumption", b_all="assumption", myeloma="assumption", indolent_b="assumption",
         gi_solid="assumption", liver_solid="assumption", other_solid="assumption",
         autoimmune="KANDANE2025", haemoglobinopathy="assumption", haemophilia="assumption",
         rare_genetic="assumption", gvhd="assumption", degenerative="assumption"),
      "patients a year joining the prevalent pool in 2025 (newly refractory lupus ~10,000-17,000: "
      "new SLE x 14%; new transfusion-dependent thalassaemia births 1,000-3,000; haemophilia and "
      "retinal births: assumptions). The pool's yearly exit (death, remission) is the inflow over "
      "the pool less its growth, so an untreated pool stays in step with its growth",
      plausible=_i(autoimmune=(10000.0, 17000.0), haemoglobinopathy=(1000.0, 3000.0),
                   haemophilia=(100.0, 600.0), rare_genetic=(0.0, 200.0), lbcl=(0.0, 0.0), b_all=(0.0, 0.0),
                   myeloma=(0.0, 0.0), indolent_b=(0.0, 0.0), gi_solid=(0.0, 0.0), liver_solid=(0.0, 0.0),
                   other_solid=(0.0, 0.0), gvhd=(0.0, 0.0), degenerative=(0.0, 0.0)))
_each("demand.growth", INDICATIONS,
      _i(lbcl=0.025, b_all=-0.01, myeloma=0.04, indolent_b=0.03, gi_solid=0.0, liver_solid=0.0,
         other_solid=0.015, autoimmune=0.03, haemoglobinopathy=-0.03, haemophilia=0.0, rare_genetic=-0.03,
         gvhd=0.07, degenerative=0.03),
      "1/year", -0.5, 1.0,
      _i(lbcl="LIN2024", b_all="assumption", myeloma="assumption", indolent_b="assumption",
         gi_solid="NCC2022", liver_solid="NCC2022", other_solid="assumption", autoimmune="assumption",
         haemoglobinopathy="assumption", haemophilia="assumption", rare_genetic="NBS_BIRTHS",
         gvhd="XU2021_HSCT", degenerative="assumption"),
      "yearly growth of an indication's flows (incidence trend and ageing; falling births for "
      "childhood disease: 7.92 m births in 2025, -17% on 2024; thalassaemia prevention; allo-HSCT "
      "+5-10%/y); flows before 2025 are back-cast at the same rate",
      plausible=_i(lbcl=(0.01, 0.04), b_all=(-0.03, 0.01), myeloma=(0.03, 0.05), indolent_b=(0.02, 0.04),
                   gi_solid=(-0.01, 0.01), liver_solid=(-0.01, 0.01), other_solid=(0.0, 0.03),
                   autoimmune=(0.02, 0.04), haemoglobinopathy=(-0.05, 0.0), haemophilia=(-0.01, 0.02),
                   rare_genetic=(-0.05, 0.0), gvhd=(0.05, 0.10), degenerative=(0.01, 0.05)))
_each("demand.line_expansion", INDICATIONS,
      _i(lbcl=[(D(2015, 1, 1), 1.0), (D(2023, 6, 1), 1.0), (D(2030, 1, 1), 3.5)],
         myeloma=[(D(2015, 1, 1), 1.0), (D(2025, 1, 1), 1.0), (D(2032, 1, 1), 2.4)],
         b_all=1.0, indolent_b=1.0, gi_solid=1.0, liver_solid=1.0, other_solid=1.0, autoimmune=1.0,
         haemoglobinopathy=1.0, haemophilia=1.0, rare_genetic=1.0, gvhd=1.0, degenerative=1.0),
      "x", 0.0, 100.0,
      _i(lbcl="REALTREND", myeloma="TANG2023_MM", b_all="assumption", indolent_b="assumption",
         gi_solid="assumption", liver_solid="assumption", other_solid="assumption", autoimmune="assumption",
         haemoglobinopathy="assumption", haemophilia="assumption", rare_genetic="assumption",
         gvhd="assumption", degenerative="assumption"),
      "multiplier on an indication's flow as CGT moves to earlier lines of therapy: LBCL from 3rd "
      "line (3,600) to 2nd-line high risk (+9,000: primary refractory ~20%, REAL-TREND) after "
      "axi-cel's 2nd-line approval in China (June 2023), reached by 2030 (timing an assumption); "
      "myeloma from 4th line (2,500) to 3rd line+ (6,100, West China cohort) by 2032 (assumption)",
      plausible=_i(lbcl=(2.5, 4.5), myeloma=(1.5, 3.0), b_all=(1.0, 1.5), indolent_b=(1.0, 2.0),
                   gi_solid=(1.0, 1.5), liver_solid=(1.0, 1.5), other_solid=(1.0, 1.5), autoimmune=(1.0, 2.0),
                   haemoglobinopathy=(1.0, 1.0), haemophilia=(1.0, 1.0), rare_genetic=(1.0, 1.0),
                   gvhd=(1.0, 1.5), degenerative=(1.0, 2.0)))
_each("demand.fit_share", INDICATIONS,
      _i(lbcl=0.5, b_all=0.5, myeloma=0.5, indolent_b=0.5, gi_solid=0.3, liver_solid=0.3,
         other_solid=0.3, autoimmune=0.7, haemoglobinopathy=0.7, haemophilia=0.6, rare_genetic=0.7,
         gvhd=0.6, degenerative=0.5),
      "share", *PROB, _i(lbcl="HARRYSSON2022", b_all="HARRYSSON2022", myeloma="HARRYSSON2022",
                         indolent_b="HARRYSSON2022", gi_solid="assumption", liver_solid="assumption",
                         other_solid="assumption", autoimmune="assumption", haemoglobinopathy="assumption",
                         haemophilia="assumption", rare_genetic="assumption", gvhd="assumption",
                         degenerative="assumption"),
      "share of eligible patients fit for the therapy (performance status, organ function, time "
      "to make a dose): 35% of Swedish r/r LBCL patients up to 76 met CAR-T trial criteria "
      "(Harrysson 2022; China's patients are younger); late-line solid tumours far fewer",
      plausible=_i(lbcl=(0.35, 0.6), b_all=(0.35, 0.6), myeloma=(0.35, 0.6), indolent_b=(0.35, 0.6),
                   gi_solid=(0.15, 0.45), liver_solid=(0.15, 0.45), other_solid=(0.15, 0.45),
                   autoimmune=(0.5, 0.9), haemoglobinopathy=(0.5, 0.9), haemophilia=(0.4, 0.8),
                   rare_genetic=(0.5, 0.9), gvhd=(0.4, 0.8), degenerative=(0.3, 0.7)))
_add("demand.pool_treatment_share", 0.2, "share/year", *PROB, "assumption",
     "share of an untreated prevalent pool that comes forward for a one-time therapy each year "
     "(referral, work-up, patient choice)", plausible=(0.05, 0.4))
# Which indications a modality's programs target (weights, normalised per modality).
_MIX = {
    "autologous_car_t": _i(lbcl=0.27, b_all=0.16, myeloma=0.17, indolent_b=0.10, gi_solid=0.07, liver_solid=0.06,
                           other_solid=0.07, autoimmune=0.10),
    "allogeneic_cell": _i(lbcl=0.06, b_all=0.04, myeloma=0.04, indolent_b=0.02, gi_solid=0.04, liver_solid=0.04,
                          other_solid=0.06, autoimmune=0.10, gvhd=0.15, degenerative=0.45),
    "in_vivo_gene": _i(haemophilia=0.22, haemoglobinopathy=0.18, rare_genetic=0.45, other_solid=0.10,
                       liver_solid=0.05),
    "rna_in_vivo_car": _i(lbcl=0.15, b_all=0.10, myeloma=0.15, autoimmune=0.30, gi_solid=0.05, liver_solid=0.05,
                          other_solid=0.10, rare_genetic=0.10),
}
_MIX_SOURCE = {"autologous_car_t": "GU2024_CART", "allogeneic_cell": "CDE2024_TRIALS",
               "in_vivo_gene": "GINN2024_GT", "rna_in_vivo_car": "assumption"}
for _modality, _weights in _MIX.items():
    _each(f"demand.mix.{_modality}", INDICATIONS, _weights, "weight", 0.0, 1.0, _MIX_SOURCE[_modality],
          f"weight of an indication among the targets of new {MODALITY_LABELS[_modality]} programs "
          "(normalised over indications): CAR-T 73% haematological (ChiCTR and NMPA registrations "
          "2015-22, CD19 43% and BCMA 9% of single-target trials), about 20% solid, autoimmune rising "
          "(China runs 48% of autoimmune CAR-T trials); stem-cell trials mostly MSC; gene therapy "
          "split by global trial shares; the split within a group is an assumption",
          plausible=(0.0, 0.6))

# --- market --------------------------------------------------------------------------------
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
_add("market.bmi_fund_spending_2024_cny", 2.9764e12, "CNY/year", 0.0, 1e15, "NHSA2024",
     "basic medical insurance fund expenditure in 2024 (2.4597 trillion in 2022, 2.8140 in 2023); "
     "grows at market.health_spending_growth")
_add("market.health_spending_growth", 0.05, "1/year", -0.2, 0.5, "assumption",
     "yearly growth of health spending and of the payers' budgets after 2024 (insurance fund "
     "expenditure +14.4% in 2023 and +5.8% in 2024; total health expenditure +6.2% and +0.4%)",
     plausible=(0.03, 0.07))
_add("market.nrdl_cgt_budget_share", 0.002, "share", *PROB, "assumption",
     "share of the basic medical insurance fund's yearly spending the national list can commit "
     "to CGT: a product is listed only when its expected yearly reimbursement fits in what is "
     "left (the NHSA's budget-impact test), so spending saturates (0.2% of 2024 spending: about "
     "6 bn CNY a year)", plausible=(0.0005, 0.01))
_add("market.city_insurance_coverage", 0.10, "share", *PROB, "HUIMINBAO",
     "share of eligible patients whose city commercial insurance (Hui Min Bao) covers CGT "
     "(~140 m insured of 1.4 bn in 2021)")
_add("market.city_insurance_cap_cny", 500e3, "CNY", 0.0, 1e9, "HUHUIBAO",
     "city insurance payout cap per patient")
_add("market.city_insurance_deductible_cny", 20e3, "CNY", 0.0, 1e9, "HUHUIBAO",
     "city insurance deductible")
_add("market.city_insurance_paid_share", 0.8, "share", *PROB, "HUHUIBAO",
     "share of the cost above the deductible that city insurance pays")
_add("market.city_insurance_cgt_budget_2025_cny", 1.0e9, "CNY/year", 0.0, 1e13, "assumption",
     "what city insurance schemes (Hui Min Bao) can pay for CGT in 2025, growing at "
     "market.health_spending_growth; when claims would exceed it, coverage is rationed for the "
     "rest of the year (national Hui Min Bao premiums about 16-18 bn CNY a year, Shanghai's "
     "first year paid out 88% of premiums)", plausible=(0.3e9, 3e9))
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
     "years after the first launch in an indication at which its uptake reaches half its ceiling "
     "(logistic: treatment centres, referral; read at that launch); a later product's share "
     "follows the same curve from its own launch", plausible=(1.0, 4.0))
_add("market.uptake_steepness", 1.5, "1/year", 0.05, 20.0, "assumption",
     "steepness of the logistic uptake curve (read at each launch)", plausible=(0.8, 3.0))
_add("market.entry_order_exponent", 0.5, "-", 0.0, 3.0, "KALYANARAM1995",
     "an entrant's share relative to the pioneer's is (order of entry) ** -this, at equal "
     "prices and maturity (about 1/sqrt(order) across consumer goods and prescription drugs)",
     plausible=(0.3, 0.7))
_add("market.withdrawal_patients_per_year", 20.0, "patients/year", 0.0, 1e6, "assumption",
     "a product that has been on the market for market.withdrawal_grace_years and treated fewer "
     "patients than this in the last year is withdrawn", plausible=(5.0, 50.0))
_add("market.withdrawal_grace_years", 3.0, "years", 0.0, 50.0, "assumption",
     "years after launch before a product with few patients is withdrawn", plausible=(2.0, 5.0))
_add("market.wait_tolerance_days", 150.0, "days", 1.0, 10000.0, "FRONTIMMUNOL2021",
     "mean days a patient can wait from order to infusion before dropping out (exponential); "
     "value an assumption chosen so 8-30% of patients are never infused")
_add("market.gross_margin_to_sponsor", 1.0, "share", *PROB, "assumption",
     "share of net revenue less cost of goods that returns to the sponsor's cash",
     plausible=(0.5, 1.0))


def modality_params(prefix: str) -> dict[str, str]:
    return {m: f"{prefix}.{m}" for m in MODALITIES}
