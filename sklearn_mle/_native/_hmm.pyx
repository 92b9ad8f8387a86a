# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""Hidden Markov model recursions in C, run without the GIL (one call per block of
sequences; the sequences of a block are independent, so blocks run in parallel).

Every kernel reads (n, k) arrays in C order and a ``bounds`` array of sequence start
offsets (``bounds[s]`` to ``bounds[s + 1]`` is sequence s). They are the compiled
twins of ``sklearn_mle/hmm/_forward_backward.py`` (same scaling, same order of
operations where it matters), tested equal to it.

- :func:`forward_backward`: scaled forward and backward passes with log normalisers
  on the row-max shifted emissions ``frame = exp(log_prob - shift)`` (computed by
  NumPy's vectorised ``exp`` in the same thread, just before), state posteriors in
  ``gamma`` and the weighted expected transition counts added to ``xi``.
- :func:`forward`: the normalisers alone (log-likelihood of new data).
- :func:`viterbi`: the most probable path in log space.
- :func:`sample_states`: a Markov chain by inverse CDF from given uniforms.
"""

from libc.math cimport INFINITY
from libc.stdlib cimport free, malloc


cdef inline bint _forward_one(const double[:, ::1] frame, Py_ssize_t a, Py_ssize_t b,
                              const double[::1] pi, const double[:, ::1] A,
                              double[:, ::1] alpha, double[::1] c) noexcept nogil:
    """Scaled forward pass over rows a..b-1; False when the sequence is dead (c_t = 0),
    whose remaining normalisers are set to 0."""
    cdef Py_ssize_t k = frame.shape[1], t, i, j
    cdef double s, v
    cdef double* cur
    cdef const double* prev
    cdef const double* Ai
    cdef const double* fr
    for t in range(a, b):
        cur = &alpha[t, 0]
        fr = &frame[t, 0]
        if t == a:
            for j in range(k):
                cur[j] = pi[j] * fr[j]
        else:
            # alpha_t = (alpha_{t-1} A) * frame_t, row by row of A: the inner loop runs
            # over contiguous memory (the compiler vectorises it)
            prev = &alpha[t - 1, 0]
            for j in range(k):
                cur[j] = 0.0
            for i in range(k):
                v = prev[i]
                Ai = &A[i, 0]
                for j in range(k):
                    cur[j] += v * Ai[j]
            for j in range(k):
                cur[j] *= fr[j]
        s = 0.0
        for j in range(k):
            s = s + cur[j]
        if not s > 0:
            for i in range(t, b):
                c[i] = 0.0
                for j in range(k):
                    alpha[i, j] = 0.0
            return False
        c[t] = s
        v = 1.0 / s
        for j in range(k):
            cur[j] *= v
    return True


def forward(const double[:, ::1] frame, const long long[::1] bounds, Py_ssize_t s0,
            Py_ssize_t s1, const double[::1] pi, const double[:, ::1] A,
            double[:, ::1] alpha, double[::1] c):
    """Scaled forward pass of sequences s0..s1-1; returns the number of dead ones."""
    cdef Py_ssize_t s
    cdef int dead = 0
    with nogil:
        for s in range(s0, s1):
            if not _forward_one(frame, bounds[s], bounds[s + 1], pi, A, alpha, c):
                dead += 1
    return dead


def forward_backward(const double[:, ::1] frame, const long long[::1] bounds,
                     Py_ssize_t s0, Py_ssize_t s1, const double[::1] pi,
                     const double[:, ::1] A, const double[:, ::1] AT,
                     double[:, ::1] alpha, double[:, ::1] gamma, double[::1] c,
                     double[:, ::1] xi, const double[::1] seq_w, bint weighted):
    """Forward-backward of sequences s0..s1-1 (``frame``: the row-max shifted
    emissions ``exp(log_prob - shift)``; ``AT``: ``A.T`` in C order).

    On return ``gamma`` holds the state posteriors (zero rows for a dead sequence),
    ``c`` the normalisers (0 on a dead sequence's rows from the first dead one), and
    ``xi`` has each live sequence's expected transition counts added, times its
    weight. ``gamma`` carries the backward variables while they are computed: row t
    becomes ``alpha_t * beta_t`` as soon as ``beta_{t-1}`` no longer needs it.
    Returns the number of dead sequences.
    """
    cdef Py_ssize_t k = frame.shape[1], s, t, i, j, a, b
    cdef int dead = 0
    cdef double w, v
    cdef const double* fr
    cdef const double* Ai
    cdef const double* ap
    cdef double* bt
    cdef double* bp
    cdef double* nxt = <double*>malloc(k * sizeof(double))
    cdef double* loc = <double*>malloc(k * k * sizeof(double))
    if nxt == NULL or loc == NULL:
        free(nxt)
        free(loc)
        raise MemoryError()
    with nogil:
        for s in range(s0, s1):
            a = bounds[s]
            b = bounds[s + 1]
            if not _forward_one(frame, a, b, pi, A, alpha, c):
                dead += 1
                for t in range(a, b):
                    for j in range(k):
                        gamma[t, j] = 0.0
                continue
            for i in range(k * k):
                loc[i] = 0.0
            for j in range(k):
                gamma[b - 1, j] = 1.0
            for t in range(b - 1, a, -1):
                # nxt_j = frame_t(j) beta_t(j) / c_t; beta_{t-1} = A nxt (as the rows of
                # A' times nxt_j, contiguous inner loops); xi += alpha_{t-1} nxt'
                # (times A at the end); then gamma_t = alpha_t beta_t
                v = 1.0 / c[t]
                fr = &frame[t, 0]
                bt = &gamma[t, 0]
                bp = &gamma[t - 1, 0]
                ap = &alpha[t - 1, 0]
                for j in range(k):
                    nxt[j] = fr[j] * bt[j] * v
                for i in range(k):
                    bp[i] = 0.0
                for j in range(k):
                    v = nxt[j]
                    Ai = &AT[j, 0]
                    for i in range(k):
                        bp[i] += Ai[i] * v
                for i in range(k):
                    v = ap[i]
                    for j in range(k):
                        loc[i * k + j] += v * nxt[j]
                ap = &alpha[t, 0]
                for j in range(k):
                    bt[j] *= ap[j]
            ap = &alpha[a, 0]
            bt = &gamma[a, 0]
            for j in range(k):
                bt[j] *= ap[j]
            w = seq_w[s] if weighted else 1.0
            for i in range(k):
                for j in range(k):
                    xi[i, j] = xi[i, j] + w * loc[i * k + j] * A[i, j]
    free(nxt)
    free(loc)
    return dead


def viterbi(const double[:, ::1] logp, const long long[::1] bounds, Py_ssize_t s0,
            Py_ssize_t s1, const double[::1] log_pi, const double[:, ::1] log_A,
            int[:, ::1] psi, long long[::1] states, double[::1] best):
    """Most probable paths of sequences s0..s1-1 (log space): ``states`` rows and
    ``best[s]`` (the path's log-probability, -inf when none) written in place."""
    cdef Py_ssize_t k = logp.shape[1], s, t, i, j, a, b, arg
    cdef double v, m
    cdef double* prev = <double*>malloc(k * sizeof(double))
    cdef double* cur = <double*>malloc(k * sizeof(double))
    cdef double* tmp
    if prev == NULL or cur == NULL:
        free(prev)
        free(cur)
        raise MemoryError()
    with nogil:
        for s in range(s0, s1):
            a = bounds[s]
            b = bounds[s + 1]
            for j in range(k):
                prev[j] = log_pi[j] + logp[a, j]
            for t in range(a + 1, b):
                for j in range(k):
                    m = -INFINITY
                    arg = 0
                    for i in range(k):
                        v = prev[i] + log_A[i, j]
                        if v > m:
                            m = v
                            arg = i
                    psi[t, j] = <int>arg
                    cur[j] = m + logp[t, j]
                tmp = prev
                prev = cur
                cur = tmp
            m = -INFINITY
            arg = 0
            for j in range(k):
                if prev[j] > m:
                    m = prev[j]
                    arg = j
            best[s] = m
            states[b - 1] = arg
            for t in range(b - 1, a, -1):
                states[t - 1] = psi[t, states[t]]
    free(prev)
    free(cur)


def sample_states(const double[:, ::1] cum_A, const double[::1] u, long long first,
                  long long[::1] out):
    """A Markov chain: ``out[0] = first``, then ``out[t]`` is the first state whose
    cumulative transition probability from ``out[t - 1]`` exceeds ``u[t]``."""
    cdef Py_ssize_t n = out.shape[0], k = cum_A.shape[1], t, j
    cdef long long s = first
    cdef double x
    with nogil:
        if n > 0:
            out[0] = s
        for t in range(1, n):
            x = u[t]
            j = 0
            while j < k - 1 and cum_A[s, j] <= x:
                j += 1
            s = j
            out[t] = s
