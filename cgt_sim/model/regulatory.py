"""Regulatory clocks: IND review and marketing-application review.

IND: implied approval after ``regulatory.ind_review_working_days`` (60 standard, 30 in the
Beijing pilot, article 004), counted from the filing date, so a what-if that shortens the
clock from a date applies to filings from that date. Marketing review: 200 working days
standard or 130 priority (NMPA), plus the sponsor's clock-stop response time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..parameters import MODALITIES
from ..timeline import working_to_calendar_days
from .runparams import ParamSource, Value


@dataclass(frozen=True, slots=True)
class RegulatoryInputs:
    ind_pathway_open: Value  # simulation day the IND route opens
    ind_review_working_days: Value
    p_ind_clear: Value
    nda_standard_working_days: Value
    nda_priority_working_days: Value
    priority_share: dict[str, Value]  # by modality
    sponsor_response_days: Value
    p_approval: dict[str, Value]  # by modality

    @classmethod
    def bind(cls, params: ParamSource) -> RegulatoryInputs:
        b = params.bind
        return cls(
            ind_pathway_open=b("regulatory.ind_pathway_open"),
            ind_review_working_days=b("regulatory.ind_review_working_days"),
            p_ind_clear=b("regulatory.p_ind_clear"),
            nda_standard_working_days=b("regulatory.nda_standard_working_days"),
            nda_priority_working_days=b("regulatory.nda_priority_working_days"),
            priority_share={m: b(f"regulatory.priority_share.{m}") for m in MODALITIES},
            sponsor_response_days=b("regulatory.sponsor_response_days"),
            p_approval={m: b(f"regulatory.p_approval.{m}") for m in MODALITIES},
        )

    def ind_review_days(self, t: float) -> float:
        """Calendar days of IND review for a filing on day ``t``."""
        return working_to_calendar_days(self.ind_review_working_days(t))

    def nda_review_days(self, modality: str, t: float, u_priority: float, u_response: float) -> float:
        """Calendar days of marketing review for a filing at ``t`` (priority drawn from u_priority)."""
        priority = u_priority < self.priority_share[modality](t)
        wd = (self.nda_priority_working_days if priority else self.nda_standard_working_days)(t)
        response = -math.log1p(-min(u_response, 1.0 - 1e-12)) * self.sponsor_response_days(t)
        return working_to_calendar_days(wd) + response

    def mean_nda_review_days(self, modality: str, t: float) -> float:
        """The mean of ``nda_review_days`` over the priority draw and the sponsor's response."""
        prio = self.priority_share[modality](t)
        return (prio * working_to_calendar_days(self.nda_priority_working_days(t))
                + (1 - prio) * working_to_calendar_days(self.nda_standard_working_days(t))
                + self.sponsor_response_days(t))
