"""The one trainer every recipe uses: HF Accelerate, EMA, atomic checkpoints with exact resume.

    trainer = Trainer(model, loss_fn, train_data, config, exp_dir)
    result = trainer.train()          # resumes from exp_dir/checkpoints/ if one exists
    net = trainer.ema_model()         # a copy holding the EMA weights
    trainer.close()                   # every process, at the end: tears the process group down

``loss_fn(model, batch, generator) -> (loss, logs)`` must draw ALL its randomness (noise,
timesteps, dropout masks it makes itself) from ``generator``: a ``torch.Generator`` on the
model's device whose state is saved in every checkpoint, so a resumed run draws the same
noise as an uninterrupted one. It must call ``model(...)`` (the forward) so that gradients
are synchronised across processes, and return the same log keys on every process.

The same script runs as one CPU process, on one GPU, or under ``torchrun``/``accelerate
launch`` with several processes; only the main process writes checkpoints and logs.
``config.batch_size`` is per process. ``val_fn(ema_model, step)`` and ``sample_fn(ema_model,
step, out_dir)`` run on the main process only, outside the training RNG streams. With
``keep_best="<metric>"`` the EMA weights of the validation with the lowest ``<metric>`` are
kept in ``exp_dir/best/`` (``diffmm.training.best``) and ``export_model()`` returns them.
``train_data`` may be an ``IterableDataset`` that splits itself across processes and loader
workers (``diffmm.vision.ImageShards``): it is loaded per process, never re-split by
Accelerate, and its ``set_epoch(epoch)`` is called before each pass.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import gather_object, send_to_device, set_seed
from safetensors.torch import load_file, save_file
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, IterableDataset
from tqdm.auto import tqdm

from diffmm.config import save_config
from diffmm.errors import DiffmmError
from diffmm.training import checkpoint
from diffmm.training.best import BestWeights
from diffmm.training.config import TrainerConfig
from diffmm.training.data import EpochShuffleSampler
from diffmm.training.ema import EMA
from diffmm.training.interrupt import StopRequests, TrainingInterrupted
from diffmm.training.launch import cpu_only_launch, process_seed, usable_mixed_precision
from diffmm.training.logging import IntervalSums, TrainLogger
from diffmm.training.optimizer import build_adamw
from diffmm.training.schedules import build_lr_scheduler

LossFn = Callable[[nn.Module, Any, torch.Generator], tuple[Tensor, dict[str, float]]]
ValFn = Callable[[nn.Module, int], dict[str, float]]
SampleFn = Callable[[nn.Module, int, Path], None]

STATE_FILE = "trainer_state.json"
EMA_FILE = "ema.safetensors"


@dataclass
class TrainResult:
    step: int
    logs: dict[str, float] = field(default_factory=dict)


class Trainer:
    """Trains ``model`` on ``train_data`` with ``loss_fn``; see the module docstring.

    Building a Trainer on an ``exp_dir`` that holds checkpoints restores the newest one
    (model, optimizer, LR schedule, EMA, RNG states, data position, loss generator).
    ``resolved_config`` (the recipe's full config) is saved as YAML in every checkpoint;
    ``stateful`` objects (``state_dict()``/``load_state_dict()``, e.g. iDDPM's loss-aware
    timestep sampler) are saved and restored with it.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: LossFn,
        train_data: Dataset,
        config: TrainerConfig,
        exp_dir: str | Path,
        collate_fn: Callable | None = None,
        val_fn: ValFn | None = None,
        sample_fn: SampleFn | None = None,
        resolved_config: dict | None = None,
        keep_best: str | None = None,
        stateful: Sequence[Any] = (),
    ) -> None:
        self.config = config
        self.loss_fn, self.val_fn, self.sample_fn = loss_fn, val_fn, sample_fn
        self.resolved_config = resolved_config
        self.exp_dir = Path(exp_dir)
        self.checkpoint_root = self.exp_dir / "checkpoints"
        self.best = None if keep_best is None else BestWeights(self.exp_dir / "best", keep_best)
        self.accelerator = Accelerator(
            gradient_accumulation_steps=config.grad_accum_steps,
            mixed_precision=usable_mixed_precision(config.mixed_precision),
            log_with=None,
            cpu=cpu_only_launch(),
            # the LR schedule counts optimizer steps, whatever the number of processes
            step_scheduler_with_optimizer=False,
        )
        acc = self.accelerator
        if stateful:  # saved and restored with every checkpoint, for an exact resume
            acc.register_for_checkpointing(*stateful)
        set_seed(config.seed, device_specific=True)
        # A pristine copy to rebuild EMA models from; the prepared model may be wrapped/patched.
        self._template = copy.deepcopy(model).cpu()

        self._streamed = isinstance(train_data, IterableDataset)
        if not self._streamed and len(train_data) < config.batch_size:
            raise DiffmmError(
                f"the training set has {len(train_data)} items, fewer than batch_size={config.batch_size}"
            )
        self._sampler = (
            None if self._streamed else EpochShuffleSampler(len(train_data), config.seed)
        )
        # The loader draws worker seeds from its own generator, never from the global RNG.
        self._loader_generator = torch.Generator()
        loader = DataLoader(
            train_data,
            batch_size=config.batch_size,
            sampler=self._sampler,
            drop_last=True,
            collate_fn=collate_fn,
            num_workers=config.num_workers,
            generator=self._loader_generator,
        )
        optimizer = build_adamw(
            model.parameters(),
            config.learning_rate,
            config.adam_betas,
            config.weight_decay,
            device=acc.device,
        )
        scheduler = build_lr_scheduler(
            optimizer,
            warmup_steps=config.warmup_steps,
            max_steps=config.max_steps,
            schedule=config.lr_schedule,
        )
        if self._streamed:  # Accelerate would keep only 1/N of each process's own split
            self.model, self.optimizer, self.scheduler = acc.prepare(model, optimizer, scheduler)
            self.loader = loader
        else:
            self.model, self.optimizer, self.loader, self.scheduler = acc.prepare(
                model, optimizer, loader, scheduler
            )
        self.ema = EMA(acc.unwrap_model(self.model), config.ema_rates, config.ema_warmup)
        self.generator = torch.Generator(device=acc.device)
        self.generator.manual_seed(process_seed(config.seed, acc.process_index))
        self.step, self.epoch, self.batch_in_epoch = 0, 0, 0

        if acc.is_main_process:
            checkpoint.remove_temp_dirs(self.checkpoint_root)
        acc.wait_for_everyone()
        self._resume()

    # ------------------------------------------------------------------ training loop
    def train(self) -> TrainResult:
        """Run until ``config.max_steps`` optimizer steps; returns the final step and last logs."""
        cfg, acc = self.config, self.accelerator
        logger = TrainLogger(self.exp_dir / "logs", self.step) if acc.is_main_process else None
        progress = tqdm(
            total=cfg.max_steps,
            initial=self.step,
            desc="train",
            disable=not (acc.is_main_process and sys.stderr.isatty()),
        )
        interval = IntervalSums()
        micro_losses: list[Tensor] = []
        last_logs: dict[str, float] = {}
        start = time.time()
        max_norm = cfg.grad_clip_norm if cfg.grad_clip_norm is not None else math.inf
        with StopRequests() as stop:
            try:
                while self.step < cfg.max_steps:
                    for batch in self._epoch_batches():
                        self.batch_in_epoch += 1
                        with acc.accumulate(self.model):
                            loss, extras = self.loss_fn(self.model, batch, self.generator)
                            acc.backward(loss)
                            micro_losses.append(loss.detach().float().reshape(1))
                            interval.add_extras(extras)
                            if acc.sync_gradients:
                                grad_norm = float(
                                    acc.clip_grad_norm_(self.model.parameters(), max_norm)
                                )
                                losses = acc.gather(torch.cat(micro_losses).mean().reshape(1))
                                step_loss = float(losses.mean())
                                self._check_finite(step_loss, grad_norm)
                                micro_losses.clear()
                                lr = self.optimizer.param_groups[0]["lr"]
                                interval.add_step(loss=step_loss, lr=lr, grad_norm=grad_norm)
                            self.optimizer.step()
                            self.optimizer.zero_grad(set_to_none=True)
                        if not acc.sync_gradients:
                            continue
                        self.scheduler.step()
                        self.step += 1
                        self.ema.update(acc.unwrap_model(self.model))
                        progress.update(1)
                        if self.step % cfg.log_every == 0:
                            last_logs = self._log_interval(logger, interval, start)
                            progress.set_postfix(loss=f"{last_logs['loss']:.4g}")
                        self._periodic_eval(logger)
                        saved = (cfg.save_every and self.step % cfg.save_every == 0) or (
                            self.step == cfg.max_steps
                        )
                        if saved:
                            self._save()
                        if self.step >= cfg.max_steps:
                            break
                        if self._stop_requested(stop.requested):
                            self._stop(stop.requested, saved)
                    else:
                        if self.batch_in_epoch == 0:
                            raise DiffmmError("the data loader produced no batch in a whole epoch")
                        self.epoch, self.batch_in_epoch = self.epoch + 1, 0
            finally:
                progress.close()
                if logger is not None:
                    logger.close()
        return TrainResult(step=self.step, logs=last_logs)

    def _stop_requested(self, signum: int) -> bool:
        """Whether any process got SIGINT/SIGTERM: all must stop at the same step."""
        if self.accelerator.num_processes == 1:
            return bool(signum)
        flag = torch.tensor([signum], device=self.accelerator.device)
        return bool(self.accelerator.reduce(flag, reduction="sum").item())

    def _stop(self, signum: int, saved: bool) -> None:
        if not saved:
            self._save()
        name = signal.Signals(signum).name if signum else "a signal to another process"
        raise TrainingInterrupted(
            f"stopped by {name} at step {self.step}: saved "
            f"{self.checkpoint_root / checkpoint.step_dir_name(self.step)}; run the same "
            "command again to resume",
            signum or signal.SIGTERM,
        )

    def _epoch_batches(self):
        self._loader_generator.manual_seed(self.config.seed + self.epoch)
        if self._streamed:
            if hasattr(self.loader.dataset, "set_epoch"):
                self.loader.dataset.set_epoch(self.epoch)
            batches = itertools.islice(self.loader, self.batch_in_epoch, None)
            return (send_to_device(batch, self.accelerator.device) for batch in batches)
        self.loader.set_epoch(self.epoch)
        self._sampler.set_epoch(self.epoch)
        if self.batch_in_epoch == 0:
            return self.loader
        return self.accelerator.skip_first_batches(self.loader, self.batch_in_epoch)

    def _check_finite(self, loss: float, grad_norm: float) -> None:
        # fp16 overflow gives an infinite grad norm now and then: the grad scaler skips that step.
        norm_ok = math.isfinite(grad_norm) or self.accelerator.mixed_precision == "fp16"
        if math.isfinite(loss) and norm_ok:
            return
        last = checkpoint.latest_checkpoint(self.checkpoint_root)
        raise DiffmmError(
            f"training diverged at step {self.step + 1}: loss={loss}, grad_norm={grad_norm}; "
            f"nothing was saved for this step (last good checkpoint: {last or 'none'})"
        )

    def _log_interval(
        self, logger: TrainLogger | None, interval: IntervalSums, start: float
    ) -> dict:
        names = sorted(interval.extra_sums)
        local = [interval.extra_sums[n] / interval.micro_steps for n in names]
        if names:  # loss_fn logs are per process: average them over processes
            local_tensor = torch.tensor(local, device=self.accelerator.device)
            local = self.accelerator.reduce(local_tensor, reduction="mean").tolist()
        logs = {name: total / interval.steps for name, total in interval.step_sums.items()}
        logs.update(zip(names, local))
        logs["time"] = time.time() - start
        interval.reset()
        if logger is not None:
            logger.log("train", self.step, logs)
        return logs

    def _periodic_eval(self, logger: TrainLogger | None) -> None:
        cfg, acc = self.config, self.accelerator
        do_val = self.val_fn is not None and cfg.val_every and self.step % cfg.val_every == 0
        do_sample = (
            self.sample_fn is not None and cfg.sample_every and self.step % cfg.sample_every == 0
        )
        if not (do_val or do_sample):
            return
        if acc.is_main_process:
            devices = [acc.device] if acc.device.type == "cuda" else []
            # Evaluation must not move the training RNG streams, or resume would not be exact.
            with torch.random.fork_rng(devices=devices):
                model = self.ema_model()
                if do_val:
                    metrics = self.val_fn(model, self.step)
                    logger.log("val", self.step, {k: float(v) for k, v in metrics.items()})
                    if self.best is not None:
                        self.best.offer(model, self.step, metrics)
                if do_sample:
                    out_dir = self.exp_dir / "samples" / checkpoint.step_dir_name(self.step)
                    out_dir.mkdir(parents=True, exist_ok=True)
                    self.sample_fn(model, self.step, out_dir)
        acc.wait_for_everyone()

    def close(self) -> None:
        """Wait for every process, then tear the process group down.

        Call once at the end of a script, after the main process has exported its results:
        a rank that exits while the group is still alive aborts the collective backend's
        threads ("terminate called without an active exception") and fails the launch.
        """
        self.accelerator.wait_for_everyone()
        self.accelerator.end_training()

    def ema_model(self, rate: float | None = None) -> nn.Module:
        """A fresh copy of the model holding the EMA weights for ``rate`` (default: the first),
        in eval mode on the training device; the raw weights when no EMA rate is configured."""
        model = copy.deepcopy(self._template)
        if self.ema.rates:
            self.ema.copy_to(model, rate)
        else:
            model.load_state_dict(self.accelerator.unwrap_model(self.model).state_dict())
        return model.to(self.accelerator.device).eval().requires_grad_(False)

    def export_model(self) -> tuple[nn.Module, dict[str, Any]]:
        """The weights to export and which they are: the kept best EMA weights when
        ``keep_best`` kept any, else the final EMA weights (``ema_model()``)."""
        model = self.ema_model()
        record = None if self.best is None else self.best.load_into(model)
        if record is None:
            return model, {"weights": "final EMA", "step": self.step}
        return model, {"weights": f"best validation {self.best.metric} (EMA)", **record}

    # ------------------------------------------------------------------ checkpoints
    def _save(self) -> None:
        acc = self.accelerator
        temp = checkpoint.temp_dir_for(self.checkpoint_root, self.step)
        if acc.is_main_process:
            shutil.rmtree(temp, ignore_errors=True)
            temp.mkdir(parents=True)
        acc.wait_for_everyone()
        acc.save_state(str(temp))
        generator_states = gather_object(
            [checkpoint.encode_generator_state(self.generator.get_state())]
        )
        acc.wait_for_everyone()
        if acc.is_main_process:
            save_file({k: v.cpu() for k, v in self.ema.tensors().items()}, temp / EMA_FILE)
            state = {
                "step": self.step,
                "epoch": self.epoch,
                "batch_in_epoch": self.batch_in_epoch,
                "num_processes": acc.num_processes,
                "ema_rates": list(self.ema.rates),
                "ema_updates": self.ema.num_updates,
                "generator_states": generator_states,
            }
            (temp / STATE_FILE).write_text(json.dumps(state))
            if self.resolved_config is not None:
                save_config(self.resolved_config, temp / "config.yaml")
            checkpoint.commit(temp, self.checkpoint_root / checkpoint.step_dir_name(self.step))
            checkpoint.prune(self.checkpoint_root, self.config.keep_last)
        acc.wait_for_everyone()

    def _resume(self) -> None:
        directory = checkpoint.latest_checkpoint(self.checkpoint_root)
        if directory is None:
            return
        checkpoint.verify(directory)
        acc = self.accelerator
        try:
            state = json.loads((directory / STATE_FILE).read_text())
            if state["ema_rates"] != list(self.ema.rates):
                raise DiffmmError(
                    f"checkpoint {directory} has EMA rates {state['ema_rates']}, "
                    f"but trainer.ema_rates is {list(self.ema.rates)}"
                )
            acc.load_state(str(directory))
            ema_tensors = load_file(directory / EMA_FILE)  # on CPU; copied onto the shadows' device
            self.ema.load_tensors(ema_tensors, state["ema_updates"])
        except DiffmmError:
            raise
        except Exception as err:
            # The manifest matched, so the files are as written: most likely the model or
            # optimizer differs from the run that wrote them.
            raise DiffmmError(
                f"checkpoint {directory} cannot be loaded into this run "
                f"({type(err).__name__}: {err}); did the model or trainer config change?"
            ) from err
        self.step, self.epoch = state["step"], state["epoch"]
        self.batch_in_epoch = state["batch_in_epoch"]
        if acc.is_main_process:
            print(f"resuming from step {self.step} ({directory})", flush=True)
        if state["num_processes"] == acc.num_processes:
            self.generator.set_state(
                checkpoint.decode_generator_state(state["generator_states"][acc.process_index])
            )
        else:
            warnings.warn(
                f"checkpoint {directory} was written by {state['num_processes']} processes, "
                f"this run has {acc.num_processes}: resuming at a new epoch with fresh noise",
                stacklevel=2,
            )
            self.generator.manual_seed(
                process_seed(self.config.seed + self.step, acc.process_index)
            )
            self.epoch, self.batch_in_epoch = self.epoch + 1, 0
