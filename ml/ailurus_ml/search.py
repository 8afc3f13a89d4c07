"""The hyper-parameter search (optuna) and the ``unknown`` threshold, both on validation sites."""

from dataclasses import dataclass

import numpy as np
import optuna

from ailurus_ml.head import HeadParams, LinearHead, train_head

LR_RANGE = (1e-3, 0.1)
WEIGHT_DECAY_RANGE = (1e-5, 0.1)
EPOCHS_RANGE = (20, 50)
# Without validation images that should be unknown: keep this share of the correct answers.
KEEP_CORRECT_QUANTILE = 0.05
THRESHOLD_GRID = np.round(np.arange(0.0, 0.951, 0.05), 2)
# A tie-breaker: validation sets of a few dozen images leave many trials at the same recall.
NLL_WEIGHT = 0.01


@dataclass(frozen=True)
class SearchResult:
    params: HeadParams
    validation_macro_recall: float
    trials: int


def macro_recall(true: np.ndarray, predicted: np.ndarray) -> float:
    classes = np.unique(true)
    return float(np.mean([(predicted[true == c] == c).mean() for c in classes])) if len(classes) else 0.0


def _score(head: LinearHead, features: np.ndarray, labels: list[str]) -> tuple[float, float]:
    """(macro recall, balanced log loss) on the validation rows whose class the head knows."""
    index = {c: i for i, c in enumerate(head.classes)}
    rows = [r for r, label in enumerate(labels) if label in index]
    if not rows:
        return 0.0, 0.0
    true = np.array([index[labels[r]] for r in rows])
    probs = head.probabilities(features[rows])
    recall = macro_recall(true, probs.argmax(axis=1))
    nll = -np.log(np.clip(probs[np.arange(len(rows)), true], 1e-12, 1.0))
    return recall, float(np.mean([nll[true == c].mean() for c in np.unique(true)]))


def search_params(fit_x: np.ndarray, fit_y: list[str], val_x: np.ndarray, val_y: list[str], *, trials: int,
                  seed: int) -> SearchResult:
    """The best (lr, weight decay, epochs) by validation macro recall (TPE, seeded)."""
    if trials <= 0:
        return SearchResult(HeadParams(), float("nan"), 0)

    def objective(trial: optuna.Trial) -> float:
        params = HeadParams(lr=trial.suggest_float("lr", *LR_RANGE, log=True),
                            weight_decay=trial.suggest_float("weight_decay", *WEIGHT_DECAY_RANGE, log=True),
                            epochs=trial.suggest_int("epochs", *EPOCHS_RANGE))
        recall, nll = _score(train_head(fit_x, fit_y, params, seed=seed), val_x, val_y)
        trial.set_user_attr("macro_recall", recall)
        return recall - NLL_WEIGHT * nll

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=trials)
    best = study.best_trial
    return SearchResult(HeadParams(lr=best.params["lr"], weight_decay=best.params["weight_decay"],
                                   epochs=best.params["epochs"]), float(best.user_attrs["macro_recall"]), trials)


def _top_and_correct(head: LinearHead, x: np.ndarray, y: list[str]) -> tuple[np.ndarray, np.ndarray]:
    probs = head.probabilities(x)
    predicted = [head.classes[i] for i in probs.argmax(axis=1)]
    return probs.max(axis=1), np.array([p == label for p, label in zip(predicted, y, strict=True)])


def calibrate_unknown_threshold(fit_x: np.ndarray, fit_y: list[str], val_x: np.ndarray, val_y: list[str], *,
                                params: HeadParams, seed: int) -> float:
    """The top-probability threshold under which a prediction becomes ``unknown``.

    Validation images of a class the head knows should stay above it and be right; images
    it cannot know should fall under it. Those are the validation images of classes absent
    from the fit (``unknown``/UNID ones included) and, so that a validation site holding
    only known species still teaches something, each known class in turn played as unseen:
    a head fit without class c (milliseconds) scores the validation images of c. The
    threshold maximises the mean of the two rates (ties: the lowest threshold).
    """
    head = train_head(fit_x, fit_y, params, seed=seed)
    val_known = np.array([label in head.classes for label in val_y])
    known_top, known_correct = _top_and_correct(head, val_x[val_known], [y for y, k in zip(val_y, val_known, strict=True)
                                                                         if k])
    unknown_top: list[np.ndarray] = []
    if (~val_known).any():
        unknown_top.append(head.probabilities(val_x[~val_known]).max(axis=1))
    fit_classes = sorted(set(fit_y))
    if len(fit_classes) >= 3:  # without c, the head still needs two classes
        for held in fit_classes:
            rows = [i for i, label in enumerate(val_y) if label == held]
            if not rows:
                continue
            keep = [i for i, label in enumerate(fit_y) if label != held]
            without = train_head(fit_x[keep], [fit_y[i] for i in keep], params, seed=seed)
            unknown_top.append(without.probabilities(val_x[rows]).max(axis=1))
    if not unknown_top or not known_top.size:
        return float(np.quantile(known_top[known_correct], KEEP_CORRECT_QUANTILE)) if known_correct.any() else 0.0
    unknown = np.concatenate(unknown_top)
    scores = [((known_correct & (known_top >= t)).mean() + (unknown < t).mean()) / 2 for t in THRESHOLD_GRID]
    return float(THRESHOLD_GRID[int(np.argmax(scores))])
