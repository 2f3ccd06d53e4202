"""A development program: its state, its own random numbers, and where it ended.

Each program carries the random numbers its science is decided by, drawn when it arrives:
``uniforms`` (stage outcomes, track, review class, sponsor choice, indication; indexed by the
``U_*`` constants below), ``normals`` (standard normals of its stage durations, ``Z_*``)
and ``financing_uniforms`` (the first few funding rounds' outcomes). So a program's science is the
same in every scenario (common random numbers), whatever the scenario changes about money or
capacity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .financing import Sponsor


class State(IntEnum):
    """Where a program is: a stage, stalled for money, or an end."""

    PRECLINICAL = 0
    IIT = 1  # an investigator-initiated trial (the dual track)
    IND_REVIEW = 2
    PHASE1 = 3
    PHASE2 = 4
    PHASE3 = 5
    NDA_REVIEW = 6  # marketing review
    STALLED = 7  # waiting for money
    APPROVED = 8
    FAILED = 9  # for science
    ABANDONED = 10  # for money


STATES = tuple(s.name.lower() for s in State)
# The states of a program in the clinic (counted as programs_in_clinic).
ACTIVE_CLINICAL = ("iit", "phase1", "phase2", "phase3", "nda_review")
NOT_STARTED = "not_started"  # a program that arrived at the horizon's last moment has no state yet
# Where a program ended ("" while it is still going); "review" is abandonment for money before
# the marketing review, "nda_review" a refusal.
END_STAGES = ("", "preclinical", "iit", "ind_review", "phase1", "phase2", "phase3", "review",
              "nda_review", "approved")
# What each of a program's uniforms decides (indices into Program.uniforms): preclinical
# success, the IIT track and its success, the IND review, Phase I, II, a pivotal Phase II,
# Phase III, a priority review, the marketing decision, the sponsor's response time, and the
# choice of sponsor (a follow-on program of an existing one, and which), the indication it
# targets, and whether it starts at all in a crowded indication.
(U_PRECLIN, U_IIT, U_IIT_OK, U_IND, U_P1, U_P2, U_PIVOTAL, U_P3, U_PRIORITY, U_NDA, U_RESPONSE, U_SPONSOR,
 U_SPONSOR_PICK, U_INDICATION, U_CROWDING) = range(15)
N_UNIFORMS = 15
# The standard normals of its durations (indices into Program.normals).
Z_PRECLIN, Z_IIT, Z_P1, Z_P2, Z_P3 = range(5)
N_NORMALS = 5
N_FINANCING_UNIFORMS = 6  # funding rounds decided by the program's own numbers; later ones draw afresh


@dataclass(slots=True)
class Program:
    id: int
    modality: str
    cluster: str
    indication: int  # index into parameters.INDICATIONS
    arrival: float  # simulation day
    uniforms: list  # U(0, 1) numbers of its science (U_*)
    normals: list  # standard normals of its durations (Z_*)
    financing_uniforms: list  # U(0, 1) numbers of its first funding rounds
    sponsor: Sponsor | None = None
    state: int = -1  # a State once started
    financing_used: int = 0  # how many of financing_uniforms are used
    iit: bool = False  # went through an investigator-initiated trial
    ind_day: float = math.nan
    approval_day: float = math.nan
    end_day: float = math.nan
    end_stage: str = ""

    def next_financing_uniform(self, rng: np.random.Generator) -> float:
        """The next funding round's uniform: the program's own while they last, then ``rng``'s."""
        if self.financing_used < len(self.financing_uniforms):
            self.financing_used += 1
            return self.financing_uniforms[self.financing_used - 1]
        return float(rng.random())
