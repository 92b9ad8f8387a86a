"""The NumPy forward-backward on overlapping pieces of long sequences (hmm/_pieces.py)
equals the whole-sequence recursions, and falls back to them when the pieces do not
meet (a chain that forgets slowly, a sequence of probability zero)."""

import numpy as np
import pytest

from sklearn_mle.hmm import _estep, _pieces
from sklearn_mle.hmm import _forward_backward as fb


def _problem(lengths, scale, stay, seed=0, k=4):
    rng = np.random.default_rng(seed)
    bounds = np.r_[0, np.cumsum(lengths)].astype(np.int64)
    lp = rng.normal(scale=scale, size=(bounds[-1], k))
    shift = lp.max(axis=1)
    frame = np.exp(lp - shift[:, None])
    pi = rng.dirichlet(np.ones(k))
    A = np.full((k, k), (1 - stay) / (k - 1)) + np.eye(k) * (stay - (1 - stay) / (k - 1))
    return lp, frame, shift, bounds, pi, A, rng.random(len(lengths)) + 0.5


@pytest.mark.parametrize("lengths", [[5000], [3000, 2500, 40, 3100], [900] * 6],
                         ids=["one", "mixed", "equal"])
def test_pieces_equal_whole_sequences(lengths):
    lp, frame, shift, bounds, pi, A, w = _problem(lengths, scale=3.0, stay=0.9)
    out, nxt = _pieces.forward_backward_pieces(frame, shift, bounds, pi, A, w, burn_in=64)
    assert isinstance(out, tuple)  # cut, and the pieces met
    assert 16 <= nxt <= 64  # what the cuts needed, with a margin
    ref = fb.forward_backward(frame, shift, bounds, pi, A, w)
    np.testing.assert_allclose(out[0], ref[0], rtol=1e-13)
    np.testing.assert_allclose(out[1], ref[1], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(out[2], ref[2], rtol=1e-11)
    assert out[3] is False and ref[3] is False
    if _estep.NATIVE:  # and the compiled kernels
        nat = _estep.run_forward_backward(lp, bounds, pi, A, w)
        np.testing.assert_allclose(out[1], nat[1], rtol=1e-11, atol=1e-13)


def test_slow_forgetting_falls_back_and_lengthens_the_burn_in():
    lp, frame, shift, bounds, pi, A, w = _problem([4000, 4000], scale=0.01, stay=0.999)
    assert _pieces.forward_backward_pieces(frame, shift, bounds, pi, A, w,
                                           burn_in=16) == (False, 32)
    work = _estep.Workspace()
    burn_in = work.burn_in
    got = _estep.run_forward_backward(lp, bounds, pi, A, w, use_native=False, work=work)
    assert work.burn_in == 2 * burn_in
    ref = fb.forward_backward(frame, shift, bounds, pi, A, w)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-13)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-12)


def test_dead_sequence_falls_back():
    lp, frame, shift, bounds, pi, A, w = _problem([3000, 3000], scale=3.0, stay=0.9)
    lp[4500, :] = -np.inf
    ll, gamma, xi, dead, _ = _estep.run_forward_backward(lp, bounds, pi, A, w,
                                                         use_native=False)
    assert dead and ll[1] == -np.inf and np.isfinite(ll[0])
    assert np.all(gamma[3000:] == 0) and np.all(np.isfinite(xi))


def test_short_sequences_are_not_cut():
    _, frame, shift, bounds, pi, A, w = _problem([300] * 5, scale=3.0, stay=0.9)
    assert _pieces.forward_backward_pieces(frame, shift, bounds, pi, A, w) == (None, 64)


@pytest.mark.parametrize("lengths", [[5000], [3000, 2500, 40, 3100]], ids=["one", "mixed"])
def test_forward_pieces_equal_whole_sequences(lengths):
    lp, frame, shift, bounds, pi, A, _ = _problem(lengths, scale=3.0, stay=0.9)
    c, nxt = _pieces.forward_pieces(frame, bounds, pi, A, burn_in=64)
    assert isinstance(c, np.ndarray) and 16 <= nxt <= 64
    _, ref = fb.forward_pass(frame, bounds, pi, A)
    np.testing.assert_allclose(c, ref, rtol=1e-13)
    work = _estep.Workspace()
    ll, log_c = _estep.run_forward(lp, bounds, pi, A, use_native=False, work=work)
    np.testing.assert_allclose(ll, fb.seq_loglik(ref, shift, bounds), rtol=1e-13)
    assert work.burn_in == nxt
