"""The independent numerical reference the tests share: a central-difference Hessian."""

import numpy as np


def central_hessian(f, x, h):
    """Hessian of the scalar ``f`` at ``x`` by central second differences; ``h`` is the
    step, one value or one per coordinate."""
    x = np.asarray(x, dtype=float)
    p = x.size
    h = np.broadcast_to(np.asarray(h, dtype=float), (p,))
    H = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            ei, ej = np.eye(p)[i] * h[i], np.eye(p)[j] * h[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                 + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H
