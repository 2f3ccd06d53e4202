"""What a run produces, declared once: the columns of its tables, their short names, the
headline metrics and how tables and charts label them.

Nothing here runs the model: the columns follow from the program states, the yearly flows the
accounts keep and the modalities, so a metric name can be checked before any work starts.
``tests/model/test_accounts.py`` checks that a run's tables have exactly these columns.
"""

from __future__ import annotations

from .model.program import ACTIVE_CLINICAL, END_STAGES, NOT_STARTED, STATES
from .parameters import CLUSTERS, MODALITIES

KEYS = ("replication", "year")  # the keys of the annual table

# Metrics the accounts sum within each year (flows), in table order. patient_days_waiting is
# kept for patients_waiting (its yearly average) and not reported itself.
FLOW_METRICS = (
    "new_programs", "new_ind_approvals", "new_approvals", "failed_science", "abandoned_financing",
    "patients_treated", "patients_trial_dosed", "patients_demand", "patients_dropped",
    "patient_days_waiting", "eligible_patients", "revenue_cny", "commercial_cogs_cny",
    "trial_manufacturing_cost_cny", "capital_raised_cny", "guided_fund_invested_cny",
    "program_spend_cny", "batches_commercial", "batches_clinical", "suites_added",
)
HIDDEN_FLOWS = ("patient_days_waiting",)

# The columns of the annual table after its keys, in order.
ANNUAL_METRICS = (
    tuple(f"programs_{s}" for s in STATES) + ("programs_in_clinic",)
    + tuple(f for f in FLOW_METRICS if f not in HIDDEN_FLOWS)
    + ("cumulative_ind_approvals", "cumulative_approvals", "patients_waiting", "vein_to_vein_days_median",
       "cogs_per_patient_cny", "net_price_per_patient_cny")
    + tuple(f"batch_cost_cny_{m}" for m in MODALITIES)
    + ("manufacturing_utilisation", "suites")
)
IN_CLINIC = tuple(f"programs_{s}" for s in ACTIVE_CLINICAL)  # summed as programs_in_clinic

PROGRAM_COLUMNS = ("replication", "program_id", "modality", "cluster", "sponsor_id", "arrival_year", "iit_track",
                   "state", "end_stage", "arrival_day", "ind_day", "approval_day", "end_day")
PRODUCT_COLUMNS = ("replication", "program_id", "modality", "cluster", "approval_year", "approval_day",
                   "launch_price_cny", "eligible_per_year", "nrdl_listed", "nrdl_listed_day", "patients_treated",
                   "revenue_cny")

# The categorical columns of the program and product tables and their fixed categories.
CATEGORIES = {
    "programs": {"modality": MODALITIES, "cluster": CLUSTERS, "state": STATES + (NOT_STARTED,),
                 "end_stage": END_STAGES},
    "products": {"modality": MODALITIES, "cluster": CLUSTERS},
}

# Short names of metrics.
ALIASES = {"approvals": "cumulative_approvals", "ind_approvals": "cumulative_ind_approvals"}

# The metrics a run's table and a report's table show first, and how they are named there.
HEADLINE = ("programs_in_clinic", "cumulative_ind_approvals", "cumulative_approvals",
            "patients_treated", "cogs_per_patient_cny", "net_price_per_patient_cny",
            "vein_to_vein_days_median", "manufacturing_utilisation")
LABELS = {
    "programs_in_clinic": "programs in clinic (IIT, Phase I-III, review)",
    "cumulative_ind_approvals": "cumulative IND approvals",
    "cumulative_approvals": "cumulative marketing approvals",
    "patients_treated": "patients treated (year)",
    "cogs_per_patient_cny": "cost of goods per patient (CNY)",
    "net_price_per_patient_cny": "net price per patient (CNY)",
    "vein_to_vein_days_median": "median vein-to-vein (days)",
    "manufacturing_utilisation": "manufacturing utilisation",
}


def annual_columns() -> list[str]:
    """The metrics of the annual table (its columns but the keys), in order."""
    return list(ANNUAL_METRICS)


# The type of every column of the stored tables (pandas dtype names), as a run writes them: what a
# resumed run checks the tables it takes over against. (The sampled table: replication, int32,
# and a float64 column per uncertain parameter.)
COLUMN_TYPES = {
    "annual": {"replication": "int32", "year": "int64",
               **{c: ("int64" if c.startswith("programs_") else "float64") for c in ANNUAL_METRICS}},
    "programs": dict(zip(PROGRAM_COLUMNS, ("int32", "int32", "category", "category", "int32", "int16", "bool",
                                           "category", "category", "float32", "float32", "float32", "float32"))),
    "products": dict(zip(PRODUCT_COLUMNS, ("int32", "int32", "category", "category", "int16", "float32", "float64",
                                           "float64", "bool", "float64", "float64", "float64"))),
}
