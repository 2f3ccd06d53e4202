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
    "suites_retired", "nrdl_spending_cny", "city_insurance_spending_cny", "commercial_insurance_spending_cny",
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

# The metrics a run's table and a report's table show first.
HEADLINE = ("programs_in_clinic", "cumulative_ind_approvals", "cumulative_approvals",
            "patients_treated", "cogs_per_patient_cny", "net_price_per_patient_cny",
            "vein_to_vein_days_median", "manufacturing_utilisation")

# How tables and charts name what a run produces, in English and Chinese ("en", "zh").
LANGS = ("en", "zh")

# Units: (English, Chinese). Tables write amounts of CNY in short form (45k, 1.23M; 4.5万,
# 1.23亿) and charts scale their axis (see ``text.axis_scale``); "share" is a fraction (0-1).
UNITS = {
    "programs": ("programs", "个项目"),
    "products": ("products", "个产品"),
    "patients": ("patients", "人"),
    "cny": ("CNY", "元"),
    "days": ("days", "天"),
    "share": ("share", "比例"),
    "suites": ("suites", "个车间"),
    "batches": ("batches", "批"),
}

# Short names of the indications for charts and tables, (English, Chinese); the full names
# are ``parameters.INDICATION_LABELS``.
INDICATION_NAMES = {
    "lbcl": ("large B-cell lymphoma", "大B细胞淋巴瘤"),
    "b_all": ("B-cell ALL", "B细胞急性淋巴细胞白血病"),
    "myeloma": ("multiple myeloma", "多发性骨髓瘤"),
    "indolent_b": ("MCL, FL and CLL", "套细胞、滤泡性淋巴瘤及CLL"),
    "gi_solid": ("gastric cancer (CLDN18.2)", "胃癌（CLDN18.2）"),
    "liver_solid": ("liver cancer (GPC3)", "肝癌（GPC3）"),
    "other_solid": ("other solid tumours", "其他实体瘤"),
    "autoimmune": ("autoimmune disease", "自身免疫病"),
    "haemoglobinopathy": ("beta-thalassaemia", "β地中海贫血"),
    "haemophilia": ("haemophilia", "血友病"),
    "rare_genetic": ("other rare genetic disease", "其他罕见遗传病"),
    "gvhd": ("GVHD", "移植物抗宿主病"),
    "degenerative": ("degenerative disease", "退行性疾病"),
}
MODALITY_NAMES = {
    "autologous_car_t": ("autologous CAR-T", "自体CAR-T"),
    "allogeneic_cell": ("allogeneic cell therapy", "异体细胞治疗"),
    "in_vivo_gene": ("in-vivo gene therapy", "体内基因治疗"),
    "rna_in_vivo_car": ("RNA / in-vivo CAR", "RNA/体内CAR"),
}
_STATE_NAMES = {
    "preclinical": ("preclinical", "临床前"), "iit": ("investigator-initiated trial", "研究者发起试验"),
    "ind_review": ("in IND review", "IND审评中"), "phase1": ("in Phase I", "I期"), "phase2": ("in Phase II", "II期"),
    "phase3": ("in Phase III", "III期"), "nda_review": ("in marketing review", "上市审评中"),
    "stalled": ("stalled (waiting for money)", "停滞（等待资金）"), "approved": ("approved", "已获批"),
    "failed": ("failed (science)", "失败（科学原因）"), "abandoned": ("abandoned (money)", "终止（资金原因）"),
}

# Each metric: (English name, Chinese name, unit key of UNITS).
METRIC_TEXT = {
    **{f"programs_{s}": (f"programs: {en}", f"项目数：{zh}", "programs") for s, (en, zh) in _STATE_NAMES.items()},
    "programs_in_clinic": ("programs in clinic (IIT, Phase I-III, review)", "临床阶段项目（IIT、I-III期、审评）",
                           "programs"),
    "new_programs": ("new programs (year)", "年新增项目", "programs"),
    "new_ind_approvals": ("IND approvals (year)", "年IND获批数", "programs"),
    "new_approvals": ("marketing approvals (year)", "年上市批准数", "products"),
    "failed_science": ("programs failed for science (year)", "年科学原因失败项目", "programs"),
    "abandoned_financing": ("programs abandoned for money (year)", "年资金原因终止项目", "programs"),
    "patients_treated": ("patients treated (year)", "年治疗患者数", "patients"),
    "patients_trial_dosed": ("trial patients dosed (year)", "年临床试验给药患者", "patients"),
    "patients_demand": ("new commercial demand (year)", "年新增商业需求", "patients"),
    "patients_dropped": ("patients lost while waiting (year)", "年等待中流失患者", "patients"),
    "eligible_patients": ("eligible patients (year)", "年适用患者数", "patients"),
    "revenue_cny": ("revenue (year)", "年销售收入", "cny"),
    "commercial_cogs_cny": ("cost of goods of commercial patients (year)", "年商业生产成本", "cny"),
    "trial_manufacturing_cost_cny": ("manufacturing cost of trials (year)", "年临床试验生产成本", "cny"),
    "capital_raised_cny": ("capital raised (year)", "年融资额", "cny"),
    "guided_fund_invested_cny": ("guided funds invested (year)", "年引导基金投资额", "cny"),
    "program_spend_cny": ("programs' spending (year)", "年研发支出", "cny"),
    "batches_commercial": ("commercial batches (year)", "年商业批次", "batches"),
    "batches_clinical": ("clinical batches (year)", "年临床批次", "batches"),
    "suites_added": ("suites commissioned (year)", "年新增车间", "suites"),
    "suites_retired": ("suites retired (year)", "年退役车间", "suites"),
    "nrdl_spending_cny": ("national reimbursement list", "国家医保目录支付", "cny"),
    "commercial_insurance_spending_cny": ("commercial innovative-drug list", "商保创新药目录支付", "cny"),
    "city_insurance_spending_cny": ("city commercial insurance", "城市定制型商业保险（惠民保）支付", "cny"),
    "out_of_pocket_cny": ("households, out of pocket", "患者自付", "cny"),
    "products_withdrawn": ("products withdrawn (year)", "年撤市产品数", "products"),
    "plant_capex_cny": ("sponsors' plant investment (year)", "年自建工厂投资", "cny"),
    **{f"eligible_patients_{i}": (f"eligible patients: {en}", f"适用患者：{zh}", "patients")
       for i, (en, zh) in INDICATION_NAMES.items()},
    **{f"patients_treated_{i}": (f"patients treated: {en}", f"治疗患者：{zh}", "patients")
       for i, (en, zh) in INDICATION_NAMES.items()},
    "cumulative_ind_approvals": ("cumulative IND approvals", "累计IND获批数", "programs"),
    "cumulative_approvals": ("cumulative marketing approvals", "累计上市批准数", "products"),
    "patients_waiting": ("patients waiting for a suite (average)", "等待生产的患者（平均）", "patients"),
    "vein_to_vein_days_median": ("median vein-to-vein", "采集到回输时间中位数", "days"),
    "cogs_per_patient_cny": ("cost of goods per patient", "每位患者生产成本", "cny"),
    "net_price_per_patient_cny": ("net price per patient", "每位患者净价格", "cny"),
    **{f"batch_cost_cny_{m}": (f"cost of a batch: {en}", f"单批成本：{zh}", "cny")
       for m, (en, zh) in MODALITY_NAMES.items()},
    "manufacturing_utilisation": ("manufacturing utilisation", "生产产能利用率", "share"),
    "suites": ("CDMO suites", "CDMO车间数", "suites"),
    "suites_own_plants": ("suites of sponsors' own plants", "企业自建车间数", "suites"),
    "products_on_market": ("products on the market", "在市产品数", "products"),
}
# the unit shown beside a name in tables (counts need none: the name says what is counted)
_TABLE_UNITS = ("cny", "days")

# The names of the headline table (and of every table), with the unit of money and time.
LABELS = {m: METRIC_TEXT[m][0] + (f" ({UNITS[METRIC_TEXT[m][2]][0]})" if METRIC_TEXT[m][2] in _TABLE_UNITS else "")
          for m in HEADLINE}


def metric_name(metric: str, lang: str = "en") -> str:
    """The name of ``metric`` (an annual column) in ``lang``, without its unit; the column
    itself for a name it does not know."""
    text = METRIC_TEXT.get(metric)
    return metric if text is None else text[LANGS.index(lang)]


def metric_unit(metric: str) -> str:
    """The unit key (of ``UNITS``) of ``metric``; "" for a name it does not know."""
    text = METRIC_TEXT.get(metric)
    return "" if text is None else text[2]


def unit_name(unit: str, lang: str = "en") -> str:
    """The name of a unit key in ``lang`` ("" for none)."""
    return UNITS[unit][LANGS.index(lang)] if unit in UNITS else ""


def label(metric: str, lang: str = "en") -> str:
    """The name of ``metric`` in tables: its name, with its unit when it is money or time
    ("cost of goods per patient (CNY)", "每位患者生产成本（元）")."""
    unit = metric_unit(metric)
    if unit not in _TABLE_UNITS:
        return metric_name(metric, lang)
    return (f"{metric_name(metric, lang)} ({unit_name(unit)})" if lang == "en"
            else f"{metric_name(metric, lang)}（{unit_name(unit, lang)}）")


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
