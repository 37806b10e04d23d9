"""Turning decision values into probabilities that mean what they say, and choosing thresholds.

The linear models give decision values, not probabilities. Both are fitted here on *out-of-fold*
decision values (each document scored by a model that did not see it), so they reflect how the
model does on new text:

- multi-label tasks: one Platt sigmoid ``p = 1 / (1 + exp(-(a * d + b)))`` per label, then the
  decision threshold on ``p`` that maximises that label's F1;
- single-label tasks: temperature scaling, ``p = softmax(t * d)``, one ``t`` for the task.

:func:`expected_calibration_error` measures the result: the average gap between confidence and
accuracy over ten equal-width confidence bins, weighted by how many predictions fall in each.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_softmax, softmax

__all__ = [
    "apply_platt",
    "apply_temperature",
    "best_threshold",
    "expected_calibration_error",
    "fit_platt",
    "fit_temperature",
    "reliability_bins",
]


def fit_platt(decision: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Fit ``(a, b)`` of a sigmoid mapping decision values to P(label) by regularised log-loss.

    Targets are smoothed as in Platt (1999) so that perfectly separated folds do not give an
    infinite slope.
    """
    decision = np.asarray(decision, dtype=np.float64)
    target = np.asarray(target, dtype=bool)
    n_pos, n_neg = int(target.sum()), int((~target).sum())
    if n_pos == 0 or n_neg == 0:
        # Nothing to calibrate against: a flat, honest probability.
        rate = (n_pos + 1.0) / (n_pos + n_neg + 2.0)
        return 0.0, float(np.log(rate / (1.0 - rate)))
    soft = np.where(target, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(params):
        a, b = params
        z = a * decision + b
        # log(1 + exp(z)) - soft * z, written stably; gradient alongside.
        value = np.sum(np.logaddexp(0.0, z) - soft * z)
        p = expit(z)
        return value, np.array([np.sum((p - soft) * decision), np.sum(p - soft)])

    prior = np.log((n_neg + 1.0) / (n_pos + 1.0))
    result = minimize(loss, x0=np.array([1.0, -prior]), jac=True, method="L-BFGS-B")
    a, b = result.x
    return float(a), float(b)


def apply_platt(decision: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Probabilities from decision values (broadcasting over labels in the last axis)."""
    return expit(np.asarray(decision) * a + b)


def fit_temperature(decision: np.ndarray, target: np.ndarray) -> float:
    """The factor ``t`` minimising the log-loss of ``softmax(t * decision)`` for class indices ``target``."""
    decision = np.asarray(decision, dtype=np.float64)
    rows = np.arange(len(target))

    def loss(t):
        return -np.mean(log_softmax(t * decision, axis=1)[rows, target])

    result = minimize_scalar(loss, bounds=(1e-3, 1e3), method="bounded")
    return float(result.x)


def apply_temperature(decision: np.ndarray, t: float) -> np.ndarray:
    return softmax(np.asarray(decision) * t, axis=1)


def best_threshold(proba: np.ndarray, target: np.ndarray) -> float:
    """The probability threshold that maximises F1 for one label (0.5 when there are no positives).

    The threshold is placed halfway between the chosen score and the next lower one, so that it is
    not tied to one training document's exact score.
    """
    proba = np.asarray(proba, dtype=np.float64)
    target = np.asarray(target, dtype=bool)
    n_pos = int(target.sum())
    if n_pos == 0 or n_pos == len(target):
        return 0.5
    order = np.argsort(-proba, kind="stable")
    sorted_p, sorted_t = proba[order], target[order]
    tp = np.cumsum(sorted_t)
    predicted = np.arange(1, len(sorted_p) + 1)
    f1 = 2.0 * tp / (predicted + n_pos)
    # Only cut where the score changes, so ties fall on one side.
    distinct = np.r_[sorted_p[1:] < sorted_p[:-1], True]
    f1 = np.where(distinct, f1, -1.0)
    k = int(np.argmax(f1))
    below = sorted_p[k + 1] if k + 1 < len(sorted_p) else 0.0
    return float(np.clip((sorted_p[k] + below) / 2.0, 0.01, 0.99))


def reliability_bins(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[dict]:
    """Confidence against accuracy in ``bins`` equal-width bins (empty bins left out).

    Each bin is ``{"lo", "hi", "confidence", "accuracy", "count"}``: the mean confidence and the share
    of correct outcomes of the predictions whose confidence falls in ``[lo, hi)`` (the last bin
    includes 1.0). ``confidence`` and ``correct`` have the same shape, any shape.
    """
    confidence = np.asarray(confidence, dtype=np.float64).ravel()
    correct = np.asarray(correct, dtype=np.float64).ravel()
    if confidence.shape != correct.shape:
        raise ValueError(f"confidence and correct differ in size ({confidence.size} != {correct.size})")
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append({
                "lo": b / bins, "hi": (b + 1) / bins, "confidence": float(confidence[mask].mean()),
                "accuracy": float(correct[mask].mean()), "count": int(mask.sum()),
            })  # fmt: skip
    return out


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of confidences against 0/1 outcomes (same shapes, any shape)."""
    table = reliability_bins(confidence, correct, bins)
    total = sum(b["count"] for b in table)
    if not total:
        return 0.0
    return float(sum(b["count"] * abs(b["confidence"] - b["accuracy"]) for b in table) / total)
