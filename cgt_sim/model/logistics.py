"""Cold chain: transit time and loss per shipment.

An autologous dose travels twice (apheresis material to the site, product back to the
hospital); off-the-shelf doses travel once from stock. A lost or out-of-specification shipment
sends the patient back to manufacturing, like a failed batch (article 000: ultra-low-temperature
cold chain, stability and remote monitoring are a required step of industrialisation).
"""

from __future__ import annotations

from .streams import gamma_draw

TRANSIT_CV = 0.5  # assumption: spread of transit times


def transit_days(p, t: float, rng, legs: int = 1) -> float:
    return sum(gamma_draw(rng, p("logistics.transit_days", t), TRANSIT_CV) for _ in range(legs))


def dose_loss_probability(p, modality: str, t: float) -> float:
    """Probability that one dose fails release or is lost in transit (needs re-manufacture)."""
    fail = p(f"manufacturing.failure_rate.{modality}", t)
    loss = p("logistics.loss_rate", t)
    return 1.0 - (1.0 - fail) * (1.0 - loss)
