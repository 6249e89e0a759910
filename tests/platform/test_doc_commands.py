"""Every command block of README.md and docs/*.md is either run here as written, from the
folder the text names (a stand-in repository root; with the smoke-run options the README gives),
or covered by a named test that runs the same command on a tiny model because the text's own
model takes an egs run of minutes to hours. A new block fails the first test until it is given
one of the two."""

from __future__ import annotations

import re

import pytest
from doc_blocks import REPO_ROOT, Block, code_blocks, doc_files, run_shell, scratch_root

pytestmark = pytest.mark.platform

# run as written in test_readme_commands_run_as_written
RUN_HERE = (
    r"^\.venv/bin/python data_prep/toy\.py ",
    r"^\.venv/bin/python recipes/toy\.py ",
    r"^\.venv/bin/diffmm (info|sample) egs/toy/ddpm/exp/ddpm_swiss_roll/bundle",
    r"^\.venv/bin/python recipes/timegrad\.py .*own_data\.yaml",  # tests/timeseries/test_own_csv
    r"^\.venv/bin/diffmm forecast exp/macro/bundle ",  # tests/timeseries/test_own_csv
)
# (pattern of a command, the test file that runs it on a tiny model, a string that file holds)
COVERED = (
    # every stage; test_readme_commands_run_as_written runs it to stage 5 for the bundle
    (r"^egs/toy/ddpm/run\.sh$", "tests/toy/test_toy_recipe.py", "8"),
    # every part on tiny bundles; the shipped ones are measured in the README's figures
    (r"^\./scripts/setup\.sh && \.venv/bin/diffmm demo", "tests/platform/test_demo.py", "run_demo"),
    (r"^\./scripts/setup\.sh && \.venv/bin/python -m pytest", "tests/conftest.py", "AREAS"),
    (r"diffmm vocode .*--wav-dir", "tests/audio/test_vocode.py", "--wav-dir"),
    (r"diffmm vocode .*--feats-scp", "tests/audio/test_vocode.py", "--feats-scp"),
    (r"diffmm vocode .*--mel ", "tests/audio/test_vocode.py", '"--mel"'),
    (r"diffmm forecast .*--plot", "tests/timeseries/test_forecast_cli.py", "--plot"),
    (r"diffmm forecast .*--samples-npy", "tests/timeseries/test_forecast_cli.py", "--samples-npy"),
    (r"diffmm forecast \S+ \S+ ", "tests/timeseries/test_forecast_cli.py", "pool"),
    (r"diffmm forecast \S+ --input my_series", "tests/timeseries/test_forecast_cli.py", "-o"),
    (r"diffmm forecast exp/seed\*/bundle", "tests/timeseries/test_forecast_cli.py", "pool"),
    (r"^python recipes/timegrad\.py", "tests/timeseries/test_timegrad_egs.py", "timegrad"),
    (r"^egs/pedestrian/timegrad/run\.sh", "tests/timeseries/test_timegrad_egs.py", "run.sh"),
    (r"^egs/electricity/timegrad/run\.sh", "tests/timeseries/test_timegrad_egs.py", "--data-path"),
    (r"^torchrun .*diffmm\.cli\.main sample", "tests/vision/test_image_sampling.py", "torchrun"),
    (
        r"^torchrun .*recipes/image\.py .*data\.shards",
        "tests/vision/test_image_shard_training.py",
        "data.shards",
    ),
    (r"--guidance-scale", "tests/vision/test_image_sampling.py", "--guidance-scale"),
    (r"--classifier-scale", "tests/vision/test_classifier_guidance.py", "--classifier-scale"),
    (r"--sampler-option", "tests/vision/test_image_sampling.py", "--sampler-option"),
    (r"^diffmm sample exp/fashion_mnist_mini", "tests/vision/test_image_sampling.py", ".npz"),
    (r"--nll-bundle", "tests/vision/test_image_nll.py", "--nll-bundle"),
    (r"diffmm tts .*--text-file", "tests/tts/test_tts_inference.py", "--text-file"),
    (r"diffmm tts .*--mel-only", "tests/tts/test_tts_inference.py", "--mel-only"),
    (r"diffmm tts .*--plot", "tests/tts/test_tts_inference.py", "--plot"),
    (r"--save-ref-stats", "tests/vision/test_image_evaluation.py", "--save-ref-stats"),
    (r"pt_inception", "tests/vision/test_image_evaluation.py", "pt_inception"),
    (
        r"diffmm restore \S+ (inpaint|super-resolution)",
        "tests/vision/test_image_restore.py",
        "inpaint",
    ),
    (r"diffmm restore \S+ colorize", "tests/vision/test_image_restore.py", '"colorize"'),
    (r"diffmm restore \S+ (gap-fill|bandwidth)", "tests/audio/test_audio_restore.py", "gap-fill"),
    (
        r"diffmm restore \S+ (impute|forecast-given)",
        "tests/timeseries/test_series_restore.py",
        "impute",
    ),
    (r"^python recipes/pointcloud\.py", "tests/pointcloud/test_recipe.py", "recipes/pointcloud.py"),
    (r"diffmm sample \S+ --reconstruct", "tests/pointcloud/test_recipe.py", "--reconstruct"),
    (r"diffmm sample exp/airplane_gen/bundle", "tests/pointcloud/test_recipe.py", "--num-points"),
    (r"diffmm evaluate pointclouds", "tests/pointcloud/test_recipe.py", "--paired"),
    (r"^egs/quickdraw/sketch/run\.sh", "tests/vision/test_sketch_egs.py", "--quickdraw-dir"),
    (r"^egs/shapes/sketch/run\.sh", "tests/vision/test_sketch_egs.py", "egs/shapes/sketch"),
    (r"^python data_prep/sketches\.py", "tests/vision/test_sketch_egs.py", "sketches_train"),
    (r"^python recipes/sketch\.py", "tests/vision/test_sketch_egs.py", "--train-args"),
    (r"diffmm evaluate images .*--out-dir scores/$", "tests/vision/test_sketch_egs.py", "scores"),
)
# Python blocks: (file, heading) -> the test file that runs the same API, a string it holds
PYTHON_COVERED = {
    ("README.md", "Using it"): ("", ""),  # run here
    ("docs/timegrad.md", "Your own CSV"): ("tests/timeseries/test_own_csv.py", "exec("),
    ("docs/timegrad.md", "Commands and the Python API"): (
        "tests/timeseries/test_timegrad_bundle.py",
        "Forecaster.from_bundles",
    ),
    ("docs/vocoder.md", "Python"): ("tests/audio/test_vocoder_bundle.py", "Vocoder.from_bundle"),
    ("docs/vocoder.md", "Speed, precision and long utterances"): (
        "tests/audio/test_vocoder_inference.py",
        "chunk_seconds",
    ),
    ("docs/images.md", "Python"): ("tests/vision/test_image_evaluation.py", "evaluate_images"),
    ("docs/images.md", "Data"): ("tests/vision/test_lsun.py", "iter_lsun"),
    ("docs/tts.md", "Python"): ("tests/tts/test_tts_inference.py", "TextToMel.from_bundle"),
    ("docs/inverse.md", "Python API"): ("tests/vision/test_image_restore.py", "Restorer("),
    ("docs/pointcloud.md", "Python"): (
        "tests/pointcloud/test_recipe.py",
        "PointCloudGenerator.from_bundle",
    ),
    ("docs/sketches.md", "Python API"): ("tests/vision/test_sketch_model.py", "sketches.md"),
    # a sketch of how a command uses the output rules (parser and args are the command's)
    ("docs/cli.md", "Outputs and overwriting"): (
        "tests/platform/test_cli_data_safety.py",
        "atomic",
    ),
}


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in code_blocks(path)]


def disposition(command: str) -> tuple[str, str] | None:
    """("", "") to run here, (test file, a string it holds) when covered, None if neither."""
    if any(re.search(pattern, command) for pattern in RUN_HERE):
        return "", ""
    return next(((f, m) for pattern, f, m in COVERED if re.search(pattern, command)), None)


def test_every_shown_command_is_run_here_or_covered_by_a_named_test() -> None:
    unclaimed, claims = [], []
    for block in all_blocks():
        if block.language == "python":
            claim = PYTHON_COVERED.get((block.file, block.heading))
            name = f"{block.file} ({block.heading}): python block"
            unclaimed += [name] if claim is None else []
            claims += [claim] if claim else []
            continue
        for command in block.commands:
            claim = disposition(command)
            unclaimed += [f"{block.file} ({block.heading}): {command}"] if claim is None else []
            claims += [claim] if claim else []
    assert not unclaimed, "commands neither run nor covered:\n" + "\n".join(unclaimed)
    for test_file, marker in claims:
        if test_file:
            assert marker in (REPO_ROOT / test_file).read_text(), (test_file, marker)


def readme_smoke_options(pattern: str) -> str:
    """The options the README's smoke-run sentence gives for one command."""
    text = " ".join((REPO_ROOT / "README.md").read_text().split())
    (options,) = re.findall(pattern, text)
    return options


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path, monkeypatch) -> None:
    """The README's toy commands from a stand-in repository root, in the order shown (the
    first up to stage 5: tests/toy/test_toy_recipe.py runs every stage)."""
    root = scratch_root(tmp_path, egs=("egs/toy/ddpm",))
    readme = [b for b in code_blocks(REPO_ROOT / "README.md")]
    shell = [command for block in readme if block.language == "bash" for command in block.commands]
    here = [command for command in shell if disposition(command) == ("", "")]
    assert len(here) == 4, here

    # the toy recipe's command up to its bundle
    (egs,) = [c for c in shell if "ddpm/run.sh" in c]
    egs_smoke = readme_smoke_options(r"add `([^`]+)` to `run\.sh`")
    output = run_shell(f"{egs} --stop-stage 5 {egs_smoke}", root)
    assert "Stage 5" in output
    bundle = root / "egs/toy/ddpm/exp/ddpm_swiss_roll/bundle"
    assert (bundle / "model.safetensors").is_file()

    prepare, train = here[0], here[1]
    run_shell(prepare, root)
    recipe_smoke = readme_smoke_options(r"and `([^`]+)` to `recipes/toy\.py`")
    run_shell(f"{train} {recipe_smoke}", root)
    assert (root / "exp/toy_ddpm/bundle/model.safetensors").is_file()  # the config's exp_dir

    info, sample = here[2], here[3]
    assert "family: toy" in run_shell(info, root)
    run_shell(sample, root)
    assert (root / "samples.png").stat().st_size > 1000

    (python,) = [b for b in readme if b.language == "python"]
    monkeypatch.chdir(root)
    namespace: dict = {}
    exec(compile(python.text, "README.md", "exec"), namespace)
    assert tuple(namespace["points"].shape) == (2000, 2)
