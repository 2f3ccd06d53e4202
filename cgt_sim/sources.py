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
    "BIOWORLD2021": "BioWorld: Chinese cell-therapy companies raised 2.37 bn USD in 2021",
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
    "WUXI_ATU_LINGANG": "Fineline Info & Tech, March 2024: WuXi Advanced Therapies stops most "
    "commercial lines of its Lingang (Shanghai) cell and gene therapy plant (200+ suites, opened "
    "Oct 2021), moving commercial production to Wuxi; WuXi AppTec's CGT unit: 2023 revenue "
    "1.308 bn CNY at a -6.68% gross margin, put down to the plant's low utilisation",
    "CDMO_SHAKEOUT2025": "Briganti, Modality Impact, Aug 2025, 'Too many seats, not enough "
    "passengers': CGT CDMOs report utilisation below 60% after the 2020-2023 build-out",
    "FOSUNKITE_PLANT": "Yicai Global 2019-12-19: Fosun Kite's ~10,000 m2 Shanghai CAR-T plant "
    "built in under a year (site settled Jan 2019, completed Dec 2019)",
    "VV_META": "EHA 2023 meta-analysis (PMC10431072): median vein-to-vein 30.4 days axi-cel, "
    "48.4 tisa-cel, 35.9 liso-cel",
    "PHARES2025": "Phares et al. (Tufts NEWDIGS), Nat Rev Drug Discov 2025: likelihood of "
    "approval of durable rare-disease gene therapies 19% vs 7.3% for all drugs",
    "CGT_PRESS2025": "Chinese industry press, 2025, 'from follower to parallel runner: China's "
    "cell and gene therapy breaks out' (secondary): 14 CGT products approved in China (7 CAR-T, "
    "3 small nucleic acid, 2 gene therapy, 1 stem cell, 1 oncolytic virus), 9 in the last 3 years",
    # Demand by indication (epidemiology), payers, plants and the long run.
    "PACIS2024": "Pacis et al., Oncol Ther 2024;12:293, doi:10.1007/s40487-024-00265-8: of 2,633 "
    "incident DLBCL (German claims), 15.3% reached a 2nd line and 5.2% a 3rd line or later; NHL "
    "92,834 new cases in China in 2020 (GLOBOCAN 2020); DLBCL ~45% of NHL (China Lymphoma "
    "Patient Registry 48.2%; hospital series 40-41%)",
    "REALTREND": "REAL-TREND study (PMC7968882): refractory DLBCL in China, 5-year cumulative "
    "incidence 20% (2,778 patients, 8 centres); CACA 2025 guideline: 30-40% of DLBCL become "
    "relapsed or refractory",
    "HARRYSSON2022": "Harrysson et al., Br J Haematol 2022;198:267, doi:10.1111/bjh.18197: 35% of "
    "relapsed/refractory LBCL patients up to 76 years met CAR-T trial criteria (Sweden)",
    "CCLG2008": "Cui et al., Am J Hematol 2018;93:913, doi:10.1002/ajh.25124 (CCLG-ALL 2008, 2,231 "
    "children): 5-year cumulative incidence of relapse 15.3%; national childhood cancer "
    "surveillance 2019-20: leukaemia 33.6-41.9 per million children, ALL ~70%, B-lineage 83%",
    "TANG2023_MM": "Tang et al., Front Pharmacol 2023;14:979111, doi:10.3389/fphar.2023.979111: of "
    "1,255 newly diagnosed myeloma patients (West China Hospital), 54.3% reached a 2nd line, 27.9% "
    "a 3rd, 11.5% a 4th; incidence 1.60/10^5 (Wang et al., Front Oncol 2020;9:1513, insurance "
    "claims)",
    "NCC2022": "Han et al., J Natl Cancer Cent 2024, doi:10.1016/j.jncc.2024.01.006: cancer "
    "incidence in China 2022 (lung 1,060,600; liver 367,700; stomach 358,700; pancreas 118,700 new "
    "cases); Claudin18.2 >= 40% 2+ in ~50% of gastric cancers (Gastric Cancer 2024); GPC3 in most "
    "HBV-related HCC (Wang et al., Oncotarget 2016)",
    "LIN2024": "Lin et al., Front Oncol 2024;14:1297405, doi:10.3389/fonc.2024.1297405: lymphoma "
    "incidence in China 2005-2017, average annual percent change +1.4%",
    "SLE_GUIDE2020": "Chinese Rheumatology Association, 2020 Chinese guideline for systemic lupus "
    "erythematosus, Zhonghua Nei Ke Za Zhi 2020;59:172: prevalence 30-70/10^5",
    "KANDANE2025": "Kandane-Rathnayake et al., Arthritis Res Ther 2025, doi:10.1186/s13075-025-03622-8: "
    "14% of 3,744 Asia-Pacific SLE patients severe and refractory",
    "THAL_BLUEBOOK2015": "China Thalassaemia Blue Book (2015; Chinanews and China Daily 2016-03-09): "
    "about 300,000 patients with thalassaemia major or intermedia in China; Lai et al., Sci Rep "
    "2017;7:920: beta-thalassaemia carriers 2.21%",
    "HEMO_REPORT2023": "Xue et al., Report on diagnosis and treatment of haemophilia in China 2023, "
    "doi:10.16150/j.1671-2870.2023.02.001: prevalence 2.73-3.6/10^5; national registry: haemophilia "
    "A 84%, B 13%; severe 41-50%",
    "SMA_GUIDE2023": "Chinese Society of Neurology, SMA prevention guideline 2023: carrier frequency "
    "1.2-2.2%; DMD newborn screening 1/5,000 male births (Ningxia, 2024) to 1/11,067 (Guangzhou); "
    "7.92 m births in China in 2025 (National Bureau of Statistics)",
    "NBS_BIRTHS": "National Bureau of Statistics: births 9.56 m (2022), 9.02 m (2023), 9.54 m "
    "(2024), 7.92 m (2025)",
    "IRD_REVIEW2022": "Adv Ther 2022, doi:10.1007/s12325-021-02036-7: Leber congenital amaurosis "
    "1.20-2.37/10^5, RPE65 1.3-16.7% of LCA in Asia",
    "XU2021_HSCT": "Xu et al., Bone Marrow Transplant 2021, doi:10.1038/s41409-021-01431-6: 12,323 "
    "haematopoietic cell transplants in China in 2019, 78% allogeneic, +29% on 2018",
    "GU2024_CART": "Gu et al., Herald of Medicine 2024;43:1524, doi:10.3870/j.issn.1004-0781.2024.09.030: "
    "of 277 CAR-T trials registered in China 2015-22, 73.3% in haematological malignancies; CD19 "
    "43% and BCMA 9% of single-target trials; Xu and Su, Front Immunol 2025: China runs 48% of "
    "autoimmune CAR-T trials",
    "CDE2024_TRIALS": "CDE annual report on new-drug clinical trials 2024 (2025-06-19): 115 cell "
    "and gene therapy trials registered (46 in 2022, 81 in 2023); of 75 cell-therapy trials, 29 "
    "stem-cell (21 MSC), 27 CAR-T, 6 TIL; Chen et al., Regen Ther 2021: stem-cell trials by area",
    "GINN2024_GT": "Ginn et al., J Gene Med 2024;26:e3721: 3,900 gene therapy trials worldwide to "
    "March 2023, China 651 (16.7%); cancer 68%, monogenic disease 13%",
    "NHSA2024": "National Healthcare Security Administration statistical bulletins: basic medical "
    "insurance fund expenditure 2.4597 trillion CNY (2022), 2.8140 (2023), 2.9764 (2024)",
    "KALYANARAM1995": "Kalyanaram, Robinson & Urban, Marketing Science 14(3):G212 (1995): an "
    "entrant's market share relative to the pioneer's is about 1/sqrt(order of entry)",
    "PLANT_CAPEX": "JW Therapeutics 2018-08-10: Suzhou commercial CAR-T plant up to 30 M USD; "
    "CARsgen: US plant (up to 700 patients a year) built in 12 months, Shanghai commercial base "
    "370 M CNY (2025)",
    "NHC2024_THE": "National Health Commission, 2024 statistical bulletin (2025-12-02): total "
    "health expenditure 9.0896 trillion CNY (6.7% of GDP) in 2024; drug sales 1.8865 trillion CNY "
    "in 2023 (Menet, three terminals and six markets)",
    "GLOBAL_CGT_RATE": "FDA CBER approved 7 new cell and gene therapy products in 2023 and 8 in "
    "2024 (12 in 2017-2022); 13 novel CGTs were authorised by FDA, NMPA, EMA and PMDA together in "
    "2024",
    "CART_SALES2022": "JW Therapeutics results: relma-cel 64 infusions in H1 2022 and 168 in 2023 "
    "(revenue 145.8 M CNY in 2022, 173.9 M in 2023); Fosun Pharma 2023 results: over 600 patients "
    "treated with axi-cel since launch; BioWorld 2024-04-30 (Clarivate): China CAR-T market 72 M USD "
    "in 2022, about 420-500 patients at 1.0-1.2 M CNY",
    "NMPA_CART": "NMPA CAR-T approvals: axi-cel 2021-06-22, relma-cel 2021-09-01, eque-cel "
    "2023-06-30, inati-cel 2023-11-07, zevor-cel 2024-02-23, cilta-cel 2024-08-27, a seventh "
    "2025-07-31 and an eighth by December 2025 (J Hematol Oncol 2024, doi:10.1186/s13045-024-01602-0; "
    "company releases; Yicai 2025-12-08); other CGT: amimestrocel (MSC) 2025-01-02, BBM-H901 (AAV) "
    "April 2025",
    "assumption": "assumption (see sensitivity range; to be calibrated or replaced by data)",
    "calibrated": "fitted by cgt-sim calibrate (method and fit: calibration/README.md)",
}


def cite(key: str) -> str:
    """Full citation text for a source key (the key itself when it is free text)."""
    return SOURCES.get(key, key)
