import math

import pytest
import torch

from diffmm.nn.embeddings import TimestepEmbedding, timestep_embedding

pytestmark = pytest.mark.nn


def _frequencies(dim: int, max_period: float = 10000.0) -> list[float]:
    half = dim // 2
    return [max_period ** (-i / half) for i in range(half)]


def test_matches_explicit_cos_sin_formula():
    times = [0.0, 1.0, 17.0, 999.0, 0.25, 3.7e-3]
    dim = 10
    got = timestep_embedding(torch.tensor(times), dim)
    for row, t in zip(got, times):
        freqs = _frequencies(dim)
        expected = [math.cos(t * w) for w in freqs] + [math.sin(t * w) for w in freqs]
        torch.testing.assert_close(row, torch.tensor(expected), atol=2e-5, rtol=0)


def test_odd_dim_appends_a_zero_column():
    t = torch.tensor([3.0, 250.5])
    odd = timestep_embedding(t, 9)
    assert odd.shape == (2, 9)
    torch.testing.assert_close(odd[:, :8], timestep_embedding(t, 8))
    assert torch.all(odd[:, 8] == 0)


def test_fractional_step_is_an_exact_rotation_of_its_neighbour():
    # Each (cos, sin) pair of e(t + h) is the pair of e(t) rotated by the angle h ω_i,
    # so a fractional step is treated as a real number, not rounded.
    dim, h = 16, 0.5
    freqs = torch.tensor(_frequencies(dim), dtype=torch.float64)
    t = torch.tensor([500.0, 7.0, 0.0])
    e0 = timestep_embedding(t, dim).double()
    e_half = timestep_embedding(t + h, dim).double()
    cos0, sin0 = e0.chunk(2, dim=1)
    rotated_cos = cos0 * torch.cos(h * freqs) - sin0 * torch.sin(h * freqs)
    rotated_sin = sin0 * torch.cos(h * freqs) + cos0 * torch.sin(h * freqs)
    torch.testing.assert_close(e_half, torch.cat([rotated_cos, rotated_sin], 1), atol=1e-4, rtol=0)
    assert not torch.allclose(e_half, e0) and not torch.allclose(
        e_half, timestep_embedding(t + 1, dim).double()
    )


def test_lipschitz_continuity_in_time():
    # ‖de/dt‖₂ = ‖ω‖₂ exactly, hence ‖e(t) − e(s)‖₂ ≤ ‖ω‖₂ |t − s|.
    dim = 32
    lipschitz = math.sqrt(sum(w * w for w in _frequencies(dim)))
    t = torch.linspace(0.0, 50.0, 2001)
    e = timestep_embedding(t, dim).double()
    steps = (e[1:] - e[:-1]).norm(dim=1)
    assert torch.all(steps <= lipschitz * (t[1] - t[0]).item() * (1 + 1e-3) + 1e-6)
    # a fractional step lies between its integer neighbours within the Lipschitz bound
    mid = timestep_embedding(torch.tensor([10.5]), dim).double()
    for n in (10.0, 11.0):
        gap = (mid - timestep_embedding(torch.tensor([n]), dim).double()).norm()
        assert 0 < gap <= 0.5 * lipschitz + 1e-6


def test_accepts_float_sigma_and_float64_and_int_inputs():
    sigmas = torch.tensor([0.002, 1.0, 80.0], dtype=torch.float64)
    e = timestep_embedding(sigmas, 6)
    assert e.dtype == torch.float32 and e.shape == (3, 6)
    torch.testing.assert_close(
        timestep_embedding(torch.tensor([4, 9]), 6), timestep_embedding(torch.tensor([4.0, 9.0]), 6)
    )


def test_batch_shape_and_bad_shapes():
    assert timestep_embedding(torch.arange(5), 12).shape == (5, 12)
    with pytest.raises(ValueError, match="shape"):
        timestep_embedding(torch.zeros(2, 3), 8)
    with pytest.raises(ValueError, match="positive"):
        timestep_embedding(torch.zeros(2), 0)


def test_timestep_embedding_mlp_shape():
    mlp = TimestepEmbedding(16, 64)
    out = mlp(torch.tensor([0.5, 10.0, 999.0]))
    assert out.shape == (3, 64) and torch.isfinite(out).all()
