"""The promotion gate: may a candidate model replace the live one?

A pure function over two metric dicts measured on the same held-out split (the candidate's
evaluation and the live model's, compared through taxonomy groups where the label sets
differ). Default rule: no worse on red-panda recall and no worse on macro recall, each with a
configurable tolerance. ``promote`` enforces the verdict unless forced.
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ailurus_ml.config import MlSettings

RED_PANDA_RECALL = "red_panda_recall"
MACRO_RECALL = "macro_recall"
# Prefix under which a candidate's run logs the live model's metrics on the same split.
LIVE_PREFIX = "live_"

# Metrics go through float formatting, sqlite and JSON between evaluation and the gate: an
# equal score must not fail on the last bit.
_FLOAT_SLACK = 1e-9


@dataclass(frozen=True)
class GateRule:
    """How much worse than the live model a candidate may be (recall points, 0..1)."""

    red_panda_recall_tolerance: float = 0.0
    macro_recall_tolerance: float = 0.0

    @classmethod
    def from_settings(cls, settings: "MlSettings") -> "GateRule":
        """The rule the ``ML_GATE_*`` settings configure."""
        return cls(red_panda_recall_tolerance=settings.gate_red_panda_recall_tolerance,
                   macro_recall_tolerance=settings.gate_macro_recall_tolerance)


@dataclass(frozen=True)
class GateCheck:
    """One metric's comparison. ``passed`` is None when the metric could not be judged."""

    metric: str
    candidate: float | None
    live: float | None
    tolerance: float
    passed: bool | None
    reason: str


@dataclass(frozen=True)
class GateVerdict:
    """The gate's answer: ``passed`` only if no check failed."""

    passed: bool
    checks: list[GateCheck] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _value(metrics: Mapping[str, float | None], name: str) -> float | None:
    value = metrics.get(name)
    if value is None:
        return None
    value = float(value)
    # NaN is how a recall with no support survives a metric store that cannot hold None.
    return None if math.isnan(value) else value


def _compare(metric: str, candidate: float, live: float, tolerance: float) -> GateCheck:
    passed = candidate + tolerance + _FLOAT_SLACK >= live
    if passed:
        reason = f"{metric} {candidate:.4f} vs live {live:.4f}: no worse than the tolerance {tolerance:.4f}"
    else:
        reason = f"{metric} {candidate:.4f} is worse than live {live:.4f} by more than the tolerance {tolerance:.4f}"
    return GateCheck(metric, candidate, live, tolerance, passed, reason)


def _check_red_panda(candidate: float | None, live: float | None, tolerance: float) -> GateCheck:
    if candidate is None and live is None:
        # No red panda in the split: recall is undefined for both, so this rule says nothing.
        return GateCheck(RED_PANDA_RECALL, None, None, tolerance, None,
                         "red_panda_recall not judged: no red-panda support in the split")
    if candidate is None:
        return GateCheck(RED_PANDA_RECALL, None, live, tolerance, False,
                         f"red_panda_recall missing for the candidate while live has {live:.4f}")
    if live is None:
        return GateCheck(RED_PANDA_RECALL, candidate, None, tolerance, None,
                         f"red_panda_recall not judged: live has none to compare with (candidate {candidate:.4f})")
    return _compare(RED_PANDA_RECALL, candidate, live, tolerance)


def _check_macro(candidate: float | None, live: float | None, tolerance: float) -> GateCheck:
    if candidate is None or live is None:
        missing = "candidate" if candidate is None else "live model"
        return GateCheck(MACRO_RECALL, candidate, live, tolerance, False, f"macro_recall missing for the {missing}")
    return _compare(MACRO_RECALL, candidate, live, tolerance)


def judge(candidate: Mapping[str, float | None], live: Mapping[str, float | None] | None, *,
          rule: GateRule = GateRule()) -> GateVerdict:
    """Judge a candidate against the live model on the same held-out split.

    Args:
        candidate: the candidate's metrics, at least ``red_panda_recall`` (None or absent when the
            split has no red panda) and ``macro_recall``.
        live: the live model's metrics on the same split, same keys; None when none were measured
            (the gate then fails: nothing shows the candidate is no worse).
        rule: tolerances.

    Returns:
        The verdict with one check per metric and the reasons of every failed check.
    """
    if live is None:
        reason = "no live-model metrics on the same split: the candidate cannot be compared"
        return GateVerdict(passed=False, checks=[], reasons=[reason])
    checks = [
        _check_red_panda(_value(candidate, RED_PANDA_RECALL), _value(live, RED_PANDA_RECALL),
                         rule.red_panda_recall_tolerance),
        _check_macro(_value(candidate, MACRO_RECALL), _value(live, MACRO_RECALL), rule.macro_recall_tolerance),
    ]
    failed = [check.reason for check in checks if check.passed is False]
    return GateVerdict(passed=not failed, checks=checks, reasons=failed)


def split_live(metrics: Mapping[str, float | None]) -> tuple[dict[str, float | None], dict[str, float | None] | None]:
    """Split a run's flat metrics into (candidate, live): ``live_<name>`` keys are the live model's.

    Returns:
        The candidate's metrics and the live model's, or None for the latter when the run logged
        no ``live_*`` metric at all.
    """
    own = {key: value for key, value in metrics.items() if not key.startswith(LIVE_PREFIX)}
    live = {key[len(LIVE_PREFIX):]: value for key, value in metrics.items() if key.startswith(LIVE_PREFIX)}
    return own, (live or None)


def judge_logged(metrics: Mapping[str, float | None], *, rule: GateRule = GateRule()) -> GateVerdict:
    """Judge a registered version from its run's flat metrics (its own beside ``live_*``)."""
    candidate, live = split_live(metrics)
    return judge(candidate, live, rule=rule)
