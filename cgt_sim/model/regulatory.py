"""Regulatory clocks: IND review and marketing-application review.

IND: implied approval after ``regulatory.ind_review_working_days`` (60 standard, 30 in the
Beijing pilot, article 004), counted from the filing date, so a what-if that shortens the
clock from a date applies to filings from that date. Marketing review: 200 working days
standard or 130 priority (NMPA), plus the sponsor's clock-stop response time.
"""

from __future__ import annotations

import math

from ..timeline import working_to_calendar_days


def ind_review_days(p, t: float) -> float:
    return working_to_calendar_days(p("regulatory.ind_review_working_days", t))


def nda_review_days(p, modality: str, t: float, u_priority: float, u_response: float) -> float:
    """Calendar days of marketing review for a filing at ``t`` (priority drawn from u_priority)."""
    priority = u_priority < p(f"regulatory.priority_share.{modality}", t)
    wd = p("regulatory.nda_priority_working_days" if priority
           else "regulatory.nda_standard_working_days", t)
    response = -math.log1p(-min(u_response, 1.0 - 1e-12)) * p("regulatory.sponsor_response_days", t)
    return working_to_calendar_days(wd) + response
