"""Reference solutions to the course's exercises, one function per exercise, named as in the notebooks.

``show_solution(name)`` prints one of them; a test proves that each passes its check.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bits_to_name", "binary_entropy", "surprisal_bits", "entropy_bits", "average_code_length",
           "cross_entropy_bits", "kl_divergence_bits", "mean_nll_nats", "bce_from_probs", "bce_from_logits",
           "logistic_regression_grad", "softmax_stable", "cross_entropy_from_logits", "soft_target_cross_entropy",
           "grad_bce_wrt_logit", "grad_mse_wrt_logit", "grad_softmax_ce", "binary_hinge", "binary_focal_loss",
           "smooth_labels", "weighted_mean_ce", "uniform_guess_loss", "flip_batch", "per_class_accuracy",
           "confident_mistakes", "ece", "brier", "best_temperature", "bits_per_character", "markov_entropy_rate",
           "masked_token_mean_nll",
           "kd_loss_nats", "infonce_from_similarities", "infonce_mi_bound"]


# --- 01 surprisal and entropy ---
def bits_to_name(n):
    """Bits needed to name one of n equally likely outcomes (notebook 00's demo exercise)."""
    return np.log2(n)


def binary_entropy(p):
    """Entropy of a coin with P(heads) = p, in bits. Define 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    terms = [np.where(x > 0, -x * np.log2(np.where(x > 0, x, 1.0)), 0.0) for x in (p, 1 - p)]
    return terms[0] + terms[1]


def surprisal_bits(p):
    """Surprisal of an event of probability p, in bits: -log2 p."""
    return -np.log2(p)


def entropy_bits(p):
    """Entropy of a distribution p (1-D array), in bits, with 0 log 0 = 0."""
    p = np.asarray(p, dtype=float)
    nonzero = p[p > 0]
    return -np.sum(nonzero * np.log2(nonzero))


def average_code_length(p, lengths):
    """Expected number of bits per symbol: sum_i p_i * l_i."""
    return np.sum(np.asarray(p, dtype=float) * np.asarray(lengths, dtype=float))


# --- 02 cross-entropy and KL ---
def cross_entropy_bits(p, q):
    """Cross-entropy H(p, q) = -sum_i p_i log2 q_i, in bits; outcomes with p_i = 0 contribute 0."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    mask = p > 0
    return -np.sum(p[mask] * np.log2(q[mask]))


def kl_divergence_bits(p, q):
    """KL(p || q) = sum_i p_i log2(p_i / q_i), in bits; outcomes with p_i = 0 contribute 0."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    mask = p > 0
    return np.sum(p[mask] * np.log2(p[mask] / q[mask]))


def mean_nll_nats(probs, targets):
    """Mean negative log-likelihood -ln probs[i, targets[i]] over a batch, in nats."""
    probs = np.asarray(probs, dtype=float)
    picked = probs[np.arange(len(targets)), targets]
    return -np.mean(np.log(picked))


# --- 03 binary cross-entropy ---
def bce_from_probs(probs, targets):
    """Mean binary cross-entropy -[y ln q + (1 - y) ln(1 - q)] from probabilities q, in nats."""
    q, y = np.asarray(probs, dtype=float), np.asarray(targets, dtype=float)
    return -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))


def bce_from_logits(logits, targets):
    """Mean BCE of sigmoid(logits) from the logits, in nats, stable at any logit.

    -[y ln s + (1 - y) ln(1 - s)] with s = sigmoid(z) simplifies to max(z, 0) - z y + ln(1 + e^{-|z|}).
    """
    z, y = np.asarray(logits, dtype=float), np.asarray(targets, dtype=float)
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def logistic_regression_grad(x, y, w, b):
    """Gradient (grad_w, grad_b) of the mean BCE of sigmoid(x @ w + b) against labels y."""
    z = x @ w + b
    error = 1 / (1 + np.exp(-z)) - y  # dBCE/dz = sigmoid(z) - y, per example
    return x.T @ error / len(y), np.mean(error)


# --- 04 softmax and categorical cross-entropy ---
def softmax_stable(z):
    """softmax along the last axis, safe at logits of ±1000: shift by the max before exponentiating."""
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)  # the largest exponent is now e^0 = 1
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_from_logits(logits, targets):
    """Mean cross-entropy in nats of (N, C) logits against (N,) class indices, via log-sum-exp."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets)
    m = z.max(axis=-1, keepdims=True)
    log_probs = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


def soft_target_cross_entropy(logits, target_probs):
    """Mean cross-entropy in nats of (N, C) logits against (N, C) target distributions t: -sum_c t_c log q_c."""
    z = np.asarray(logits, dtype=float)
    t = np.asarray(target_probs, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    log_probs = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -(t * log_probs).sum(axis=-1).mean()


# --- 05 gradients: CE vs MSE ---
def grad_bce_wrt_logit(z, y):
    """∂BCE/∂z per sample: σ(z) - y (σ computed without overflow)."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return sigma - y


def grad_mse_wrt_logit(z, y):
    """∂/∂z (σ(z) - y)² per sample: 2 (σ - y) σ (1 - σ), the chain rule through the sigmoid."""
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return 2 * (sigma - y) * sigma * (1 - sigma)


def grad_softmax_ce(logits, targets):
    """∂CE/∂z per sample for (N, C) logits and (N,) class indices: softmax(z) - one_hot(y)."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    grad = e / e.sum(axis=-1, keepdims=True)
    grad[np.arange(len(y)), y] -= 1.0
    return grad


# --- 06 the loss family ---
def binary_hinge(scores, labels):
    """Mean binary hinge loss max(0, 1 - y·s) for scores s and labels y in {-1, +1}."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=float)
    return np.maximum(0.0, 1.0 - y * s).mean()


def binary_focal_loss(logits, targets, gamma):
    """Mean binary focal loss -(1 - q_t)^γ log q_t, q_t the probability of the true label (no α weighting)."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets, dtype=float)
    log_p = np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))  # log σ(z), stable
    log_1mp = np.minimum(-z, 0) - np.log1p(np.exp(-np.abs(z)))  # log σ(-z) = log(1 - σ(z))
    log_pt = y * log_p + (1 - y) * log_1mp
    one_minus_pt = -np.expm1(log_pt)  # 1 - p_t without cancellation
    modulator = np.ones_like(one_minus_pt) if gamma == 0 else one_minus_pt**gamma
    return (-modulator * log_pt).mean()


def smooth_labels(labels, num_classes, epsilon):
    """Class indices -> (N, K) smoothed targets (1 - ε) · one-hot + ε / K."""
    y = np.asarray(labels)
    one_hot = np.zeros((len(y), num_classes))
    one_hot[np.arange(len(y)), y] = 1.0
    return (1 - epsilon) * one_hot + epsilon / num_classes


def weighted_mean_ce(logits, targets, weight):
    """Class-weighted cross-entropy (nats) averaged as PyTorch does: sum_i w[y_i] loss_i / sum_i w[y_i]."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets)
    w = np.asarray(weight, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    log_probs = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    per_sample = -log_probs[np.arange(len(y)), y]
    return (w[y] * per_sample).sum() / w[y].sum()


# --- 07 training a CIFAR-10 CNN ---
def uniform_guess_loss(num_classes):
    """Cross-entropy, in nats, of guessing uniformly among num_classes classes: -ln(1/C) = ln C."""
    return np.log(num_classes)


def flip_batch(x):
    """Mirror a batch of images, a torch tensor (N, C, H, W), left to right: reverse the last (width) axis.
    (Torch tensors refuse NumPy's negative step x[..., ::-1]; flip copies.)"""
    return x.flip(-1)


def per_class_accuracy(confusion):
    """Accuracy on each true class: the diagonal (correct) over the row sums (all images of that class)."""
    c = np.asarray(confusion, dtype=float)
    return np.diag(c) / c.sum(axis=1)


def confident_mistakes(probs, targets, k):
    """Indices of the k wrong predictions with the highest probability, most confident first."""
    p, y = np.asarray(probs), np.asarray(targets)
    confidence, predicted = p.max(axis=1), p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    return wrong[np.argsort(-confidence[wrong], kind="stable")][:k]


# --- 08 calibration ---
def ece(probs, targets, n_bins=15):
    """Expected calibration error: bin the top-class confidence into n_bins equal-width bins (lo, hi]
    (the first also holds 0); ECE = sum over bins of (share of samples) * |accuracy - mean confidence|."""
    probs = np.asarray(probs, dtype=float)
    targets = np.asarray(targets)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == targets
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > lo) & (confidence <= hi) if lo > 0 else confidence <= hi
        if in_bin.any():  # an empty bin adds nothing
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return total


def brier(probs, targets):
    """Mean Brier score: for each sample, sum over classes of (probability - one-hot target)^2."""
    probs = np.asarray(probs, dtype=float)
    one_hot = np.eye(probs.shape[1])[np.asarray(targets)]
    return ((probs - one_hot) ** 2).sum(axis=1).mean()


def best_temperature(logits, targets):
    """The T that minimises the mean NLL (nats) of softmax(logits / T): a grid search over log T, then a
    finer grid around the best point."""
    z = np.asarray(logits, dtype=float)
    y = np.asarray(targets)

    def nll(t):
        s = z / t
        s = s - s.max(axis=1, keepdims=True)
        log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
        return -log_probs[np.arange(len(y)), y].mean()

    coarse = np.geomspace(0.05, 20, 121)  # neighbours differ by 5%
    best = coarse[np.argmin([nll(t) for t in coarse])]
    fine = np.geomspace(best / 1.05, best * 1.05, 101)  # ... and here by 0.1%
    return fine[np.argmin([nll(t) for t in fine])]


# =====================================================================================================
# --- 09 compression and language models (notebook 09; added by the nb09 branch) ---
def bits_per_character(probs, symbols):
    """Cross-entropy of a model on a text, in bits per character: probs is (n, K), one distribution per
    position; symbols (n,) are the characters that occurred. Mean of -log2 q_i(x_i)."""
    probs = np.asarray(probs, dtype=float)
    symbols = np.asarray(symbols)
    return -np.log2(probs[np.arange(len(symbols)), symbols]).mean()


def markov_entropy_rate(P, pi):
    """Entropy rate of a Markov chain in bits per symbol: the entropy of each row P[i] (the next symbol
    after state i), averaged with the stationary weights pi."""
    P = np.asarray(P, dtype=float)
    safe = np.where(P > 0, P, 1.0)
    row_entropy = -(P * np.log2(safe)).sum(axis=1)  # 0 log 0 counts as 0
    return float(np.dot(pi, row_entropy))


def masked_token_mean_nll(log_probs, targets, ignore_index=-100):
    """Mean negative log-likelihood (nats) over the real tokens: log_probs (B, T, K), targets (B, T) with
    padding marked ignore_index. Sum the real tokens' losses, divide by the number of real tokens."""
    log_probs = np.asarray(log_probs, dtype=float)
    targets = np.asarray(targets)
    real = targets != ignore_index
    picked = np.take_along_axis(log_probs, np.where(real, targets, 0)[..., None], axis=-1)[..., 0]
    return -(picked * real).sum() / real.sum()


# =====================================================================================================
# --- 10 distillation and contrastive learning (notebook 10; added by the nb10 branch) ---
def kd_loss_nats(student_logits, teacher_logits, targets, alpha, temperature):
    """Distillation loss, mean over the batch, in nats: (1 - alpha) * CE(y, student) +
    alpha * T**2 * KL(softmax(z_t / T) || softmax(z_s / T)). Logits (N, K), targets (N,) class indices."""
    zs = np.asarray(student_logits, dtype=float)
    zt = np.asarray(teacher_logits, dtype=float)
    y = np.asarray(targets)

    def log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    hard = -log_softmax(zs)[np.arange(len(y)), y]
    log_p, log_q = log_softmax(zt / temperature), log_softmax(zs / temperature)
    soft = (np.exp(log_p) * (log_p - log_q)).sum(axis=1)
    return float(np.mean((1 - alpha) * hard + alpha * temperature**2 * soft))


def infonce_from_similarities(sim):
    """InfoNCE in nats: row i of the N x N similarity matrix scores x_i against every y_j; the target of row i
    is its own pair, j = i. Cross-entropy of each row, averaged."""
    s = np.asarray(sim, dtype=float)
    s = s - s.max(axis=1, keepdims=True)
    log_probs = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    return float(-np.mean(np.diagonal(log_probs)))


def infonce_mi_bound(sim):
    """The InfoNCE lower bound on I(X; Y) in nats: log N - InfoNCE. It can never exceed log N."""
    s = np.asarray(sim, dtype=float)
    return float(np.log(len(s)) - infonce_from_similarities(s))
