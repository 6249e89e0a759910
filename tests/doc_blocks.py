"""The commands that README.md and docs/*.md show, read from their code blocks, and a scratch
copy of the repository root to run them in as written (tests import this module).

A block is a fenced ```bash/```sh/```python block or, in the docs, a 4-space indented block
of shell lines. Shell lines continued with a backslash are joined; comment lines dropped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHELL_LANGUAGES = ("bash", "sh", "shell", "console")
# what a scratch root links back to the repository (read-only use), and egs dirs it copies
LINKED = (".venv", "recipes", "data_prep", "scripts", "diffmm", "egs/TEMPLATE", "tests")


@dataclass(frozen=True)
class Block:
    file: str  # relative to the repository root
    heading: str  # the nearest heading above the block
    language: str  # "bash" or "python"
    text: str

    @property
    def commands(self) -> list[str]:
        """A shell block's commands: continuations joined, comments and blank lines dropped."""
        joined = re.sub(r"\\\n\s*", "", self.text)
        lines = [line.split("  #")[0].strip() for line in joined.splitlines()]
        return [line for line in lines if line and not line.startswith("#")]


def doc_files() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def code_blocks(path: Path) -> list[Block]:
    """Every fenced shell/python block and every indented shell block of ``path``."""
    name, heading, blocks = str(path.relative_to(REPO_ROOT)), "", []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            language = "bash" if fence.group(1) in SHELL_LANGUAGES else fence.group(1)
            if language in ("bash", "python"):
                blocks.append(Block(name, heading, language, "\n".join(lines[i + 1 : end])))
            i = end + 1
            continue
        if line.startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            text = "\n".join(row[4:] for row in lines[i:end]).strip()
            if _looks_like_commands(text):
                blocks.append(Block(name, heading, "bash", text))
            i = end
            continue
        i += 1
    return blocks


def _looks_like_commands(text: str) -> bool:
    """An indented block of shell commands (not a sample of output such as a printed line)."""
    first = text.split()[0] if text.split() else ""
    return first in ("python", "diffmm", "egs", ".venv/bin/python", ".venv/bin/diffmm") or (
        first.startswith("egs/")
    )


def scratch_root(where: Path, egs: tuple[str, ...] = ()) -> Path:
    """A folder standing in for the repository root: links to the code and the virtual
    environment, and copies of the ``egs`` recipe folders named (they write data/ and exp/),
    so commands shown from the root write nothing into the repository."""
    root = where / "repo"
    root.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = root / name
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(REPO_ROOT / name)
    for recipe in egs:
        target = root / recipe
        if not target.exists():
            shutil.copytree(REPO_ROOT / recipe, target, symlinks=True)
    return root


def run_shell(command: str, cwd: Path, timeout: float = 600) -> str:
    """Run one shown command with bash in ``cwd``; its output, or an assertion naming it."""
    env = {key: value for key, value in os.environ.items() if key != "DIFFMM_DEBUG"}
    done = subprocess.run(
        ["bash", "-c", f"set -eo pipefail\n{command}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"`{command}` in {cwd} failed:\n{output[-3000:]}"
    return output
