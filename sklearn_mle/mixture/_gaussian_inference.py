"""Standard errors of a Gaussian mixture: Louis' method with exact Gaussian derivatives.

Free parameters, in order: the first ``K - 1`` weights; each component's mean; the
covariance entries: per component the upper triangle (``"full"``), the variances
(``"diag"``) or the one variance (``"spherical"``), or one shared upper triangle
after all the means (``"tied"``).

A covariance entry is a direction ``E`` in the space of symmetric matrices
(``e_a e_b' + e_b e_a'`` off the diagonal, ``e_a e_a'`` on it, the identity for a
spherical variance). With ``K = inverse covariance``, ``N`` the component's weight,
``v = sum_i w_i r_i (x_i - mu)`` and ``M = sum_i w_i r_i (x_i - mu)(x_i - mu)'``, the
complete-data information is exact:

    means, means:       N K
    mean, direction F:  K F K v
    directions E, F:    vec(E)' [ -N/2 (K x K) + (K M K) x K ] vec(F)

and a row's score is ``y = K (x - mu)`` for the mean and ``vec(y y' - K)' vec(E) / 2``
for a direction. Under a NormalInverseWishart prior the prior's negative Hessian
(central differences of its log-density, which involves no data) is added: the
Laplace approximation of the posterior.
"""

from __future__ import annotations

import numpy as np

from ..priors._wishart import niw_logpdf
from ._inference import (
    MixtureInformation,
    missing_information,
    weight_scores,
    weights_information,
    weights_prior_score,
)

__all__ = ["gaussian_mixture_information"]


def _directions(covariance_type, d):
    """(names of the covariance entries, D: (d*d, m) their vec(E) columns)."""
    if covariance_type in ("full", "tied"):
        iu, ju = np.triu_indices(d)
        D = np.zeros((d * d, iu.size))
        for col, (a, b) in enumerate(zip(iu, ju)):
            D[a * d + b, col] = 1.0
            D[b * d + a, col] = 1.0
        return [f"covariance[{a},{b}]" for a, b in zip(iu, ju)], D
    if covariance_type == "diag":
        D = np.zeros((d * d, d))
        D[np.arange(d) * (d + 1), np.arange(d)] = 1.0
        return [f"variance[{c}]" for c in range(d)], D
    return ["variance"], np.eye(d).reshape(d * d, 1)


def _full_covariances(covariances, covariance_type, k, d):
    cov = np.asarray(covariances, dtype=np.float64)
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.broadcast_to(cov, (k, d, d))
    if covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([np.eye(d) * c for c in cov])


def _entries(cov, covariance_type):
    """A covariance (d, d) as its free entries (the directions' coordinates)."""
    d = cov.shape[0]
    if covariance_type in ("full", "tied"):
        return cov[np.triu_indices(d)]
    if covariance_type == "diag":
        return np.diag(cov).copy()
    return np.array([cov[0, 0]])


def gaussian_mixture_information(weights, means, covariances, precisions,
                                 covariance_type, X, sample_weight, weights_prior=None,
                                 niw_hyper=None, column_names=None):
    """Names, estimates and observed information of a Gaussian mixture's free
    parameters (see the module docstring)."""
    weights = np.asarray(weights, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    k, d = means.shape
    ct = covariance_type
    covs = _full_covariances(covariances, ct, k, d)
    precs = _full_covariances(precisions, ct, k, d)  # the fit's, from its Cholesky factors
    entry_names, D = _directions(ct, d)
    m = D.shape[1]
    tied = ct == "tied"
    per = d if tied else d + m  # parameters per component
    n_w = k - 1
    size = n_w + k * per + (m if tied else 0)

    def col(c):
        return str(column_names[c]) if column_names is not None else f"x{c}"

    names = [f"weight[{j}]" for j in range(n_w)]
    est = list(weights[:n_w])
    for j in range(k):
        names += [f"component{j}.mean[{col(c)}]" for c in range(d)]
        est += list(means[j])
        if not tied:
            names += [f"component{j}.{e}" for e in entry_names]
            est += list(_entries(covs[j], ct))
    if tied:
        names += [f"tied.{e}" for e in entry_names]
        est += list(_entries(covs[0], ct))

    def mean_slice(j):
        off = n_w + j * per
        return slice(off, off + d)

    def cov_slice(j):
        if tied:
            return slice(n_w + k * per, size)
        off = n_w + j * per + d
        return slice(off, off + m)

    # complete-data information from the weighted moments about each mean
    Xf = np.asarray(X, dtype=np.float64)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    log_w = np.log(weights)
    logdet = -np.linalg.slogdet(precs)[1]

    def log_prob(xb):
        out = np.empty((xb.shape[0], k))
        for j in range(k):
            z = xb - means[j]
            out[:, j] = (log_w[j] - 0.5 * (d * np.log(2 * np.pi) + logdet[j])
                         - 0.5 * np.einsum("ni,ij,nj->n", z, precs[j], z))
        return out

    lp_all = log_prob(Xf)
    mx = lp_all.max(axis=1, keepdims=True)
    resp = np.exp(lp_all - mx)
    resp /= resp.sum(axis=1, keepdims=True)
    rw = resp if w is None else resp * w[:, None]
    info = np.zeros((size, size))
    n_k = rw.sum(axis=0)
    info[:n_w, :n_w] = weights_information(n_k, weights, weights_prior)
    for j in range(k):
        K = precs[j]
        z = Xf - means[j]
        v = rw[:, j] @ z
        M = (z * rw[:, j][:, None]).T @ z
        Q = K @ M @ K
        ms, cs = mean_slice(j), cov_slice(j)
        info[ms, ms] += n_k[j] * K
        cross = np.kron((K @ v)[None, :], K) @ D  # (d, m)
        info[ms, cs] += cross
        info[cs, ms] += cross.T
        info[cs, cs] += D.T @ (-0.5 * n_k[j] * np.kron(K, K) + np.kron(Q, K)) @ D

    cols = [np.r_[np.arange(n_w), np.arange(size)[mean_slice(j)],
                  np.arange(size)[cov_slice(j)]] for j in range(k)]

    def scores(xb):
        G = np.zeros((k, xb.shape[0], size))
        weight_scores(G, weights)
        for j in range(k):
            K = precs[j]
            y = (xb - means[j]) @ K
            G[j, :, mean_slice(j)] = y
            outer = (y[:, :, None] * y[:, None, :] - K).reshape(xb.shape[0], d * d)
            G[j, :, cov_slice(j)] = 0.5 * outer @ D
        return log_prob(xb), G, cols

    missing, score = missing_information(Xf, w, scores, size)
    score = score + weights_prior_score(weights, weights_prior, size)
    information = info - missing
    est = np.asarray(est, dtype=float)
    if niw_hyper is not None:
        logp = _prior_logpdf(k, d, ct, n_w, per, m, tied, niw_hyper)
        prior_hessian, prior_gradient = _derivatives(logp, est, n_w)
        information = information - prior_hessian
        info = info - prior_hessian
        score = score + prior_gradient
    return MixtureInformation(names, est, 0.5 * (information + information.T), info, score)


def _derivatives(logp, theta, start):
    """Hessian and gradient of ``logp`` at ``theta`` by central differences in the
    coordinates from ``start`` on (the prior involves no data: a few thousand cheap
    evaluations)."""
    size = theta.size
    h = 1e-4 * np.maximum(np.abs(theta), 1e-2)
    H = np.zeros((size, size))
    grad = np.zeros(size)
    f0 = logp(theta)
    for a in range(start, size):
        ea = np.zeros(size)
        ea[a] = h[a]
        up, down = logp(theta + ea), logp(theta - ea)
        grad[a] = (up - down) / (2 * h[a])
        H[a, a] = (up - 2 * f0 + down) / h[a] ** 2
        for b in range(a + 1, size):
            eb = np.zeros(size)
            eb[b] = h[b]
            H[a, b] = H[b, a] = (logp(theta + ea + eb) - logp(theta + ea - eb)
                                 - logp(theta - ea + eb) + logp(theta - ea - eb)) / (
                4 * h[a] * h[b])
    return H, grad


def _prior_logpdf(k, d, ct, n_w, per, m, tied, hyper):
    """The NormalInverseWishart log-density as a function of the free parameters."""
    iu = np.triu_indices(d)

    def unpack(t):
        means, covs = np.empty((k, d)), []
        for j in range(k):
            off = n_w + j * per
            means[j] = t[off : off + d]
            if not tied:
                covs.append(_matrix(t[off + d : off + d + m]))
        if tied:
            return means, _matrix(t[n_w + k * per :])
        return means, np.stack(covs) if ct in ("full",) else np.array(
            [np.diag(c) if ct == "diag" else c[0, 0] for c in covs])

    def _matrix(e):
        if ct in ("full", "tied"):
            c = np.zeros((d, d))
            c[iu] = e
            return c + np.triu(c, 1).T
        if ct == "diag":
            return np.diag(e)
        return np.eye(d) * e[0]

    def logp(t):
        means, covs = unpack(t)
        return niw_logpdf(means, covs, ct, hyper)

    return logp
