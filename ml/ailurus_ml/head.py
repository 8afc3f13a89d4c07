"""A multinomial logistic-regression head on cached features (numpy, CPU: milliseconds per epoch).

Features are standardised with the training rows' mean and spread; the standardisation is
folded into the weights at the end, so the exported head is one plain linear layer.
"""

from dataclasses import dataclass

import numpy as np

MINIBATCH_ROWS = 64
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class HeadParams:
    lr: float = 0.01
    weight_decay: float = 1e-3
    epochs: int = 30


@dataclass(frozen=True)
class LinearHead:
    """``logits = features @ weight.T + bias`` over ``classes`` (raw features in)."""

    weight: np.ndarray  # [classes, features]
    bias: np.ndarray  # [classes]
    classes: list[str]

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.weight.T + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return softmax(self.logits(features))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def balanced_weights(targets: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-row weights so every class weighs the same in the loss (rare species count)."""
    counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
    per_class = np.where(counts > 0, len(targets) / (n_classes * np.maximum(counts, 1)), 0.0)
    return per_class[targets]


def train_head(features: np.ndarray, labels: list[str], params: HeadParams, *, seed: int,
               classes: list[str] | None = None, curve: list[float] | None = None) -> LinearHead:
    """Fit the head with class-balanced cross-entropy, Adam and decoupled weight decay.

    Args:
        features: ``[rows, dim]`` float features (several views per image allowed).
        labels: one class per row.
        params: learning rate, weight decay, epochs.
        seed: fixes the minibatch order (the same seed gives the same head).
        classes: the output classes (default: the sorted labels present).
        curve: when given, the class-balanced training loss after each epoch is appended
            (the training curve the registry keeps; one extra forward pass per epoch).
    """
    classes = sorted(set(labels)) if classes is None else classes
    index = {c: i for i, c in enumerate(classes)}
    targets = np.array([index[label] for label in labels])
    x = features.astype(np.float64)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    x = (x - mean) / std
    row_weight = balanced_weights(targets, len(classes))
    one_hot = np.eye(len(classes))[targets]
    w = np.zeros((len(classes), x.shape[1]))
    b = np.zeros(len(classes))
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    rng = np.random.default_rng(seed)
    step = 0
    for _ in range(params.epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), MINIBATCH_ROWS):
            rows = order[start:start + MINIBATCH_ROWS]
            probs = softmax(x[rows] @ w.T + b)
            delta = (probs - one_hot[rows]) * row_weight[rows, None] / row_weight[rows].sum()
            step += 1
            for param, grad, (m, v) in ((w, delta.T @ x[rows], moments[:2]), (b, delta.sum(axis=0), moments[2:])):
                m *= ADAM_BETAS[0]
                m += (1 - ADAM_BETAS[0]) * grad
                v *= ADAM_BETAS[1]
                v += (1 - ADAM_BETAS[1]) * grad * grad
                m_hat = m / (1 - ADAM_BETAS[0] ** step)
                v_hat = v / (1 - ADAM_BETAS[1] ** step)
                param -= params.lr * (m_hat / (np.sqrt(v_hat) + ADAM_EPS) + params.weight_decay * param)
        if curve is not None:
            probs = softmax(x @ w.T + b)
            picked = np.clip(probs[np.arange(len(x)), targets], 1e-12, None)
            curve.append(float(-(row_weight * np.log(picked)).sum() / row_weight.sum()))
    weight = w / std
    return LinearHead(weight=weight.astype(np.float32), bias=(b - weight @ mean).astype(np.float32), classes=classes)
