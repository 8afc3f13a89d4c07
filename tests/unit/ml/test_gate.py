"""The promotion gate as a pure function: default rule, tolerances, undefined recalls."""

import pytest
from pydantic import ValidationError

from ailurus_ml.config import MlSettings
from ailurus_ml.gate import GateRule, judge, judge_logged, split_live


def metrics(macro: float | None, red_panda: float | None) -> dict[str, float | None]:
    return {"macro_recall": macro, "red_panda_recall": red_panda}


def test_judge_equal_metrics_passes() -> None:
    verdict = judge(metrics(0.6, 0.8), metrics(0.6, 0.8))
    assert verdict.passed and verdict.reasons == []
    assert [check.passed for check in verdict.checks] == [True, True]


def test_judge_better_candidate_passes() -> None:
    assert judge(metrics(0.68, 0.9), metrics(0.13, 0.5)).passed


def test_judge_worse_macro_recall_fails_with_reason() -> None:
    verdict = judge(metrics(0.55, 0.9), metrics(0.6, 0.8))
    assert not verdict.passed
    [reason] = verdict.reasons
    assert reason.startswith("macro_recall 0.5500 is worse than live 0.6000")


def test_judge_worse_red_panda_recall_fails_even_when_macro_improves() -> None:
    verdict = judge(metrics(0.9, 0.7), metrics(0.6, 0.8))
    assert not verdict.passed
    assert [check.metric for check in verdict.checks if check.passed is False] == ["red_panda_recall"]


def test_judge_worse_within_tolerance_passes() -> None:
    rule = GateRule(red_panda_recall_tolerance=0.05, macro_recall_tolerance=0.02)
    assert judge(metrics(0.59, 0.76), metrics(0.6, 0.8), rule=rule).passed
    assert not judge(metrics(0.57, 0.76), metrics(0.6, 0.8), rule=rule).passed


def test_judge_float_round_trip_is_not_worse() -> None:
    assert judge(metrics(0.1 + 0.2, 0.8), metrics(0.3, 0.8)).passed


def test_judge_no_red_panda_support_on_both_is_not_judged() -> None:
    verdict = judge(metrics(0.6, None), {"macro_recall": 0.5})
    assert verdict.passed
    red_panda = verdict.checks[0]
    assert red_panda.metric == "red_panda_recall" and red_panda.passed is None
    assert "not judged" in red_panda.reason


def test_judge_nan_recall_counts_as_no_support() -> None:
    assert judge(metrics(0.6, float("nan")), metrics(0.5, float("nan"))).checks[0].passed is None


def test_judge_candidate_without_red_panda_recall_fails_when_live_has_one() -> None:
    verdict = judge(metrics(0.9, None), metrics(0.6, 0.8))
    assert not verdict.passed
    assert "missing for the candidate" in verdict.reasons[0]


def test_judge_live_without_red_panda_recall_is_not_judged() -> None:
    verdict = judge(metrics(0.6, 0.7), metrics(0.5, None))
    assert verdict.passed and verdict.checks[0].passed is None


@pytest.mark.parametrize(("candidate", "live", "who"), [(None, 0.5, "candidate"), (0.5, None, "live model")])
def test_judge_missing_macro_recall_fails(candidate: float | None, live: float | None, who: str) -> None:
    verdict = judge(metrics(candidate, None), metrics(live, None))
    assert not verdict.passed and verdict.reasons == [f"macro_recall missing for the {who}"]


def test_judge_without_live_metrics_fails() -> None:
    verdict = judge(metrics(0.9, 0.9), None)
    assert not verdict.passed and verdict.checks == []
    assert "no live-model metrics" in verdict.reasons[0]


def test_verdict_to_dict_is_json_ready() -> None:
    document = judge(metrics(0.55, 0.9), metrics(0.6, 0.8)).to_dict()
    assert document["passed"] is False
    assert document["checks"][1] == {"metric": "macro_recall", "candidate": 0.55, "live": 0.6, "tolerance": 0.0,
                                     "passed": False, "reason": document["reasons"][0]}


def test_split_live_separates_live_prefixed_metrics() -> None:
    own, live = split_live({"macro_recall": 0.6, "live_macro_recall": 0.13, "live_red_panda_recall": 0.5, "top1": 0.7})
    assert own == {"macro_recall": 0.6, "top1": 0.7}
    assert live == {"macro_recall": 0.13, "red_panda_recall": 0.5}
    assert split_live({"macro_recall": 0.6}) == ({"macro_recall": 0.6}, None)


def test_judge_logged_reads_live_metrics_beside_own() -> None:
    logged = {"macro_recall": 0.6, "red_panda_recall": 0.8, "live_macro_recall": 0.62, "live_red_panda_recall": 0.7}
    assert not judge_logged(logged).passed
    assert judge_logged(logged, rule=GateRule(macro_recall_tolerance=0.05)).passed


def test_gate_tolerances_come_from_ml_gate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML_GATE_MACRO_RECALL_TOLERANCE", "0.02")
    monkeypatch.setenv("ML_GATE_RED_PANDA_RECALL_TOLERANCE", "0.01")
    settings = MlSettings()
    assert GateRule.from_settings(settings) == GateRule(red_panda_recall_tolerance=0.01, macro_recall_tolerance=0.02)
    monkeypatch.setenv("ML_GATE_MACRO_RECALL_TOLERANCE", "-0.1")
    with pytest.raises(ValidationError):
        MlSettings()
