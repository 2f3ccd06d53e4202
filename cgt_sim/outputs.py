"""What a run produces, declared once: the columns of its tables, their short names, the
headline metrics and how tables and charts label them.

Nothing here runs the model: the columns follow from the program states, the yearly flows the
accounts keep and the modalities, so a metric name can be checked before any work starts.
``tests/model/test_accounts.py`` checks that a run's tables have exactly these columns.
"""

from __future__ import annotations

from .model.program import ACTIVE_CLINICAL, END_STAGES, NOT_STARTED, STATES
from .parameters import CLUSTERS, INDICATIONS, MODALITIES

KEYS = ("replication", "year")  # the keys of the annual table

# Metrics the accounts sum within each year (flows), in table order. patient_days_waiting is
# kept for patients_waiting (its yearly average) and not reported itself.
FLOW_METRICS = (
    "new_programs", "new_ind_approvals", "new_approvals", "failed_science", "abandoned_financing",
    "patients_treated", "patients_trial_dosed", "patients_demand", "patients_dropped",
    "patient_days_waiting", "eligible_patients", "revenue_cny", "commercial_cogs_cny",
    "trial_manufacturing_cost_cny", "capital_raised_cny", "guided_fund_invested_cny",
    "program_spend_cny", "batches_commercial", "batches_clinical", "suites_added",
    "nrdl_spending_cny", "city_insurance_spending_cny", "commercial_insurance_spending_cny",
    "out_of_pocket_cny", "products_withdrawn", "plant_capex_cny",
) + tuple(f"eligible_patients_{i}" for i in INDICATIONS) + tuple(f"patients_treated_{i}" for i in INDICATIONS)
HIDDEN_FLOWS = ("patient_days_waiting",)

# The columns of the annual table after its keys, in order.
ANNUAL_METRICS = (
    tuple(f"programs_{s}" for s in STATES) + ("programs_in_clinic",)
    + tuple(f for f in FLOW_METRICS if f not in HIDDEN_FLOWS)
    + ("cumulative_ind_approvals", "cumulative_approvals", "patients_waiting", "vein_to_vein_days_median",
       "cogs_per_patient_cny", "net_price_per_patient_cny")
    + tuple(f"batch_cost_cny_{m}" for m in MODALITIES)
    + ("manufacturing_utilisation", "suites", "suites_own_plants", "products_on_market")
)
IN_CLINIC = tuple(f"programs_{s}" for s in ACTIVE_CLINICAL)  # summed as programs_in_clinic

PROGRAM_COLUMNS = ("replication", "program_id", "modality", "cluster", "indication", "sponsor_id", "arrival_year",
                   "iit_track", "state", "end_stage", "arrival_day", "ind_day", "approval_day", "end_day")
PRODUCT_COLUMNS = ("replication", "program_id", "modality", "cluster", "indication", "entry_order", "approval_year",
                   "approval_day", "launch_price_cny", "nrdl_listed", "nrdl_listed_day", "withdrawn_day",
                   "patients_treated", "revenue_cny")

# The categorical columns of the program and product tables and their fixed categories.
CATEGORIES = {
    "programs": {"modality": MODALITIES, "cluster": CLUSTERS, "indication": INDICATIONS,
                 "state": STATES + (NOT_STARTED,), "end_stage": END_STAGES},
    "products": {"modality": MODALITIES, "cluster": CLUSTERS, "indication": INDICATIONS},
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
    "programs": {"replication": "int32", "program_id": "int32", "modality": "category", "cluster": "category",
                 "indication": "category", "sponsor_id": "int32", "arrival_year": "int16", "iit_track": "bool",
                 "state": "category", "end_stage": "category", "arrival_day": "float32", "ind_day": "float32",
                 "approval_day": "float32", "end_day": "float32"},
    "products": {"replication": "int32", "program_id": "int32", "modality": "category", "cluster": "category",
                 "indication": "category", "entry_order": "int16", "approval_year": "int16",
                 "approval_day": "float32", "launch_price_cny": "float64", "nrdl_listed": "bool",
                 "nrdl_listed_day": "float64", "withdrawn_day": "float64", "patients_treated": "float64",
                 "revenue_cny": "float64"},
}
