"""The point-cloud model at the level of its maths: the flow, the time features, the loss."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from diffmm.diffusion.config import DiffusionConfig, build_schedule
from diffmm.errors import DiffmmError
from diffmm.models.pointcloud import (
    PointCloudModelConfig,
    build_point_cloud_model,
    gaussian_entropy,
    point_cloud_loss,
)
from diffmm.models.pointcloud_generator import PointCloudGenerator, SamplingOptions
from diffmm.nn.coupling_flow import AffineCouplingFlow

DIFFUSION = DiffusionConfig(num_steps=50, beta_start=1e-4, beta_end=0.05)


def tiny(mode: str = "generator"):
    torch.manual_seed(0)
    cfg = PointCloudModelConfig(mode=mode, latent_dim=8, flow_depth=4, flow_hidden=16)
    return build_point_cloud_model(cfg, DIFFUSION)


def test_flow_log_det_is_the_jacobians_and_it_inverts():
    torch.manual_seed(0)
    flow = AffineCouplingFlow(dim=5, depth=4, hidden=16).double()
    for p in flow.parameters():  # leave the near-identity start so the test has teeth
        torch.nn.init.normal_(p, std=0.2)
    z = torch.randn(3, 5, dtype=torch.float64)
    w, log_det = flow(z)
    for i in range(3):
        jacobian = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], z[i])
        assert torch.allclose(log_det[i], torch.linalg.slogdet(jacobian)[1], atol=1e-10)
    assert torch.allclose(flow.inverse(w), z, atol=1e-12)
    assert not torch.allclose(w, z, atol=0.1)
    normal = torch.distributions.Normal(0.0, 1.0)
    assert torch.allclose(flow.log_prob(z), normal.log_prob(w).sum(1) + log_det, atol=1e-12)


def test_time_features_read_the_linear_schedule():
    model = tiny()
    betas = build_schedule(DIFFUSION).betas
    assert torch.equal(model.beta_at(torch.arange(50)), betas.double())
    assert torch.allclose(model.beta_at(torch.tensor(10.25)), 0.75 * betas[10] + 0.25 * betas[11])
    assert math.isclose(float(betas[0]), 1e-4) and math.isclose(float(betas[-1]), 0.05)


def test_points_are_denoised_independently_and_encoded_as_a_set():
    model = tiny().eval()
    x, z = torch.randn(2, 30, 3), torch.randn(2, 8)
    perm = torch.randperm(30)
    t = torch.tensor([3, 40])
    assert torch.allclose(model(x, t, z)[:, perm], model(x[:, perm], t, z), atol=1e-6)
    mean, _ = model.encoder(x)
    assert torch.allclose(model.encoder(x[:, perm])[0], mean, atol=1e-5)


def test_loss_terms():
    log_var = torch.randn(4, 8)
    expected = torch.distributions.Normal(0, (0.5 * log_var).exp()).entropy().sum(1)
    assert torch.allclose(gaussian_entropy(log_var), expected, atol=1e-5)
    x = torch.randn(4, 64, 3)
    generator = torch.Generator().manual_seed(0)
    loss, terms = point_cloud_loss(
        tiny(), x, build_schedule(DIFFUSION), DIFFUSION, generator=generator
    )
    assert loss.shape == (4,) and torch.isfinite(loss).all()
    assert set(terms) == {"mse", "entropy", "log_prior"}
    assert torch.allclose(loss, terms["mse"] - 0.001 * (terms["entropy"] + terms["log_prior"]))
    loss.mean().backward()  # every parameter, the flow's included, gets a gradient
    ae_loss, ae_terms = point_cloud_loss(
        tiny("autoencoder"), x, build_schedule(DIFFUSION), DIFFUSION
    )
    assert set(ae_terms) == {"mse"} and torch.equal(ae_loss, ae_terms["mse"])


def test_bundle_round_trip_and_per_cloud_noise(tmp_path: Path):
    generator = PointCloudGenerator(tiny(), DIFFUSION, num_points=40, normalization="shape_bbox")
    first = generator.sample(
        3, seed=5, options=SamplingOptions(batch_size=2, steps=10, sampler="ddim")
    )
    loaded = PointCloudGenerator.from_bundle(generator.export(tmp_path / "bundle"))
    assert loaded.normalization == "shape_bbox" and loaded.num_points == 40
    again = loaded.sample(
        3, seed=5, options=SamplingOptions(batch_size=3, steps=10, sampler="ddim")
    )
    assert first.shape == (3, 40, 3) and torch.allclose(first, again, atol=1e-5)
    autoencoder = PointCloudGenerator(tiny("autoencoder"), DIFFUSION)
    assert autoencoder.reconstruct(
        torch.randn(2, 25, 3), options=SamplingOptions(steps=5)
    ).shape == (2, 25, 3)
    with pytest.raises(DiffmmError, match="auto-encoder"):
        autoencoder.sample(1)


def test_training_resumes_exactly(tmp_path: Path):
    """The loss draws all its randomness (latent noise, steps, ε) from the trainer's generator,
    so 2 + 2 resumed steps give the weights of 4 uninterrupted ones."""
    from torch.utils.data import TensorDataset

    from diffmm.training import Trainer, TrainerConfig

    clouds = TensorDataset(torch.randn(6, 32, 3, generator=torch.Generator().manual_seed(0)))
    schedule = build_schedule(DIFFUSION)

    def loss_fn(net, batch, generator):
        loss, terms = point_cloud_loss(net, batch[0], schedule, DIFFUSION, generator=generator)
        return loss.mean(), {k: float(v.detach().mean()) for k, v in terms.items()}

    def run(exp_dir: Path, max_steps: int) -> dict[str, torch.Tensor]:
        cfg = TrainerConfig(max_steps=max_steps, batch_size=3, log_every=1, save_every=2)
        trainer = Trainer(tiny(), loss_fn, clouds, cfg, exp_dir)
        trainer.train()
        weights = {k: v.clone() for k, v in trainer.ema_model().state_dict().items()}
        trainer.close()
        return weights

    straight = run(tmp_path / "a", 4)
    run(tmp_path / "b", 2)
    resumed = run(tmp_path / "b", 4)
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)
    assert not torch.equal(
        straight["eps_net.layers.0.layer.weight"],
        tiny().state_dict()["eps_net.layers.0.layer.weight"],
    )
