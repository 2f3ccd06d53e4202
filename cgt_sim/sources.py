"""Citations for parameter defaults.

Each parameter names one of these keys as its source (or ``assumption``). The seed articles
are the five Chinese news articles the project was calibrated from, cited by file name; the
publications are listed with enough detail to find them. ``calibration/sources.md`` describes
the articles in more detail.
"""

SOURCES: dict[str, str] = {
    # Seed articles (Chinese, 2025), cited by file name.
    "A000": "article 000_b6d50f660ff43ea0 (commentary on internet firms entering CGT: "
    "cold chain, AI-shortened R&D, 2025)",
    "A001": "article 001_998bc4114cecbfa7 (industry news 2025-04-07: >400 cell-therapy clinical "
    "projects filed with NMPA by March 2025; dual-track IIT + registration system)",
    "A002": "article 002_85f4a512d569b909 (Jiangsu CGT industry report, 2025-08-26: Suzhou >100 "
    "clinical approvals = ~20% of national; 6 bn + 4 bn CNY guided funds; bottlenecks)",
    "A003": "article 003_5f44c1ac25692b05 (interview on automated cell manufacturing, 2021: "
    "'Moore's law' of falling cost with intelligent manufacturing)",
    "A004": "article 004_e00c46491ff96507 (Beijing CGT cluster report, 2025: 30-working-day IND "
    "pilot, IIT funding rules, 400 m CNY Series D, payment gaps)",
    # Publications.
    "BIO2021": "BIO, Informa Pharma Intelligence & QLS, Clinical Development Success Rates "
    "2011-2020 (2021)",
    "BIO2016": "BIO, Biomedtracker & Amplion, Clinical Development Success Rates 2006-2015 (2016)",
    "ELSALLAB2025": "Elsallab et al., Clin Pharmacol Ther 2025;117:1264, doi:10.1002/cpt.3512 "
    "(CGT likelihood of approval: overall 5.3%, CAR-T 13.6%, AAV 13.6%)",
    "PAREXEL": "Parexel analysis of FDA approvals: CAR-T first-in-human to market mean 5.4 y; "
    "gene therapy mean 10.1 y (6 US products each)",
    "NMPA_IND": "NMPA Drug Registration Regulation (2020): 60-working-day implied IND approval "
    "(Covington client alert, 2024-09-20)",
    "NMPA_REVIEW": "NMPA marketing-application review clocks: 200 working days standard, 130 "
    "priority (PMC10266112; PMC9764065)",
    "CFDA2017": "CFDA, Technical Guideline for Research and Evaluation of Cell Therapy "
    "Products (trial), 2017-12-18: opened the drug-registration (IND) route to CAR-T",
    "UKPANEL": "UK National CAR T Clinical Panel real-world data (Dulobdas et al.): 3.9% "
    "manufacturing failure (38/981), ~50% remanufacture success",
    "FRONTIMMUNOL2021": "Front Immunol 2021, table 2 (PMC8427697): pivotal-trial manufacturing "
    "failure 1-8%; 8-30% of enrolled patients never infused",
    "EPR2023": "European Pharmaceutical Review 2023: axi-cel commercial median leukapheresis-"
    "to-release 19 days (n=2,432); 99% delivery success",
    "HARRISON2019": "Harrison et al., Cytotherapy 2019: modelled process length autologous 8 "
    "days vs allogeneic 10 days",
    "ISPE2025": "ISPE Pharmaceutical Engineering, May-Jun 2025: manual CAR-T process ~80 labour "
    "hours per dose, labour ~50% of cost",
    "RAN2020": "Ran et al., Int J Cancer 2020, doi:10.1002/ijc.33156: academic point-of-care "
    "CAR-T cost < 60,000 EUR vs commercial up to 320,000 EUR",
    "PHARMALETTER": "The Pharma Letter: Yikaida (axi-cel, Fosun Kite) 1.2 M CNY per dose in "
    "China; Carteyva (relma-cel) 1.29 M CNY",
    "CAIXIN2026": "Caixin 2026-01-09: ~3,600 CAR-T patients treated in China vs > 30,000 "
    "eligible per year",
    "HUHUIBAO": "Shanghai Hu Hui Bao 2022 city insurance: 500,000 CNY payout cap for axi-cel; "
    "Liaocheng claim example (1.2 M - 20 k deductible) x 80%",
    "NRDL": "China National Reimbursement Drug List practice: CAR-Ts repeatedly excluded; "
    "drugs > 500 k CNY excluded informally",
    "YICAI2025": "Yicai 2025-12-08: first Commercial Health Insurance Innovative Drug List "
    "(in force 2026-01-01) lists 19 drugs incl. 5 CAR-Ts; 8 CAR-Ts approved in China",
    "ARM": "Alliance for Regenerative Medicine via BioSpace: global CGT investment 2018-2024 = "
    "13.8, 9.8, 19.9, 22.7, 12.6, 11.7, 15.2 bn USD",
    "TRIALCOST": "Generic mid-sized trial cost Phase I/II/III = 3.4 / 8.6 / 21.4 M USD "
    "(low-confidence industry estimate), at 7.2 CNY/USD",
    "WRIGHT1936": "Wright, Factors affecting the cost of airplanes, J Aeronaut Sci 1936 "
    "(learning curve: constant cost reduction per doubling of cumulative output)",
    "LIU2025": "Liu et al., Nat Rev Drug Discov 2025: 765 cumulative CGT IND applications to "
    "CDE 2017-Q2 2025; CAR-T 72 exploratory / 15 confirmatory / 7 under review (mid-2025)",
    "NRDL_CUTS": "NHSA NRDL negotiation results: average price cut for newly listed drugs "
    "60.7% (2019), 50.6% (2020), 61.7% (2021), 60.1% (2022), 61.7% (2023), 63% (2024) "
    "(ISPOR Asia 2020; Reuters 2020; Greenberg Traurig 2023; ChemLinked 2024-12-04)",
    "HUIMINBAO": "Insurance Association of China via Xinhua, 2022-12: ~140 million people "
    "insured by city-customised commercial insurance (Hui Min Bao) in 2021 (~10% of population)",
    "FOSUN2022": "Fosun Pharma release, 2022-05-25: Hu Hui Bao 2022 pays CAR-T 100% with zero "
    "deductible up to 500,000 CNY; axi-cel listed in Hui Min Bao schemes in 32 provinces",
    "NBS2024": "National Bureau of Statistics via Xinhua 2024-01-17: 2023 per-capita disposable "
    "income mean 39,218 CNY, median 33,036; PBOC 2019 urban household survey: mean financial "
    "assets 649,000 CNY",
    "FOSUNKITE_PLANT": "Yicai Global 2019-12-19: Fosun Kite's ~10,000 m2 Shanghai CAR-T plant "
    "built in under a year (site settled Jan 2019, completed Dec 2019)",
    "VV_META": "EHA 2023 meta-analysis (PMC10431072): median vein-to-vein 30.4 days axi-cel, "
    "48.4 tisa-cel, 35.9 liso-cel",
    "PHARES2025": "Phares et al. (Tufts NEWDIGS), Nat Rev Drug Discov 2025: likelihood of "
    "approval of durable rare-disease gene therapies 19% vs 7.3% for all drugs",
    "CGT_PRESS2025": "Chinese industry press, 2025, 'from follower to parallel runner: China's "
    "cell and gene therapy breaks out' (secondary): 14 CGT products approved in China (7 CAR-T, "
    "3 small nucleic acid, 2 gene therapy, 1 stem cell, 1 oncolytic virus), 9 in the last 3 years",
    "assumption": "assumption (see sensitivity range; to be calibrated or replaced by data)",
    "calibrated": "fitted by cgt-sim calibrate (method and fit: calibration/README.md)",
}


def cite(key: str) -> str:
    """Full citation text for a source key (the key itself when it is free text)."""
    return SOURCES.get(key, key)
