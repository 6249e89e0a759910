"""The demo's report: one self-contained HTML file (audio as base64 ``data:`` URIs, pictures as
base64 PNG) with a table of every score measured in the run beside the bundles' stated ones.

A small script in the page marks each ``<audio>`` element ``data-state="loaded"`` once the
browser has decoded its metadata (``loadedmetadata``) or ``"error"`` if it could not, and
records its duration, so that a headless browser's dump of the page shows whether every clip
plays (``tests/platform/test_demo.py``).
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from diffmm.demo.result import Media, PartResult

MIME = {".wav": "audio/wav", ".png": "image/png"}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } img { max-width: 100%; }
.clips { display: grid; grid-template-columns: 1fr 1fr; gap: 0.6em 2em; }
.clip span { display: block; font-size: 0.9em; }
code { background: #f4f4f4; padding: 0 0.2em; }
"""
SCRIPT = """
for (const audio of document.querySelectorAll("audio")) {
  const mark = (state) => {
    if (audio.dataset.state !== "pending") return;
    audio.dataset.state = state;
    audio.dataset.duration = String(audio.duration);
  };
  audio.addEventListener("loadedmetadata", () => mark("loaded"));
  audio.addEventListener("canplay", () => mark("loaded"));
  audio.addEventListener("error", () => mark("error"));
  if (audio.readyState >= 1) mark("loaded");
  audio.load();
}
"""


def data_uri(path: Path) -> str:
    return f"data:{MIME[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode()}"


def number(value: Any) -> str:
    """A score as the table shows it: 4 significant digits."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return html.escape(str(value))
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def score_key(name: str) -> str:
    """A score's name as keys are compared: ``CRPS-sum`` (GluonTS's) is ``crps_sum``."""
    return name.lower().replace("-", "_").replace(" ", "_")


def stated_scores(result: PartResult) -> dict[str, Any]:
    """The scores the part's own model (its first bundle) was stated with, by ``score_key``;
    the other bundles' (the vocoder of ``tts``, the classifier of ``images``) are listed under
    the part."""
    stated = (result.bundles[0].provenance or {}).get("scores") or {}
    return {score_key(str(key)): value for key, value in stated.items()}


def score_table(results: Sequence[PartResult]) -> str:
    rows = []
    for result in results:
        stated = stated_scores(result)
        for score in result.scores:
            claim = number(stated[score.key]) if score.key in stated else ""
            rows.append(
                f'<tr data-part="{result.part}" data-key="{score.key}"><td>{result.part}</td>'
                f"<td>{html.escape(score.label)}</td>"
                f'<td class="number" data-value="{score.value!r}">{number(score.value)}</td>'
                f'<td>{html.escape(score.unit)}</td><td class="number">{claim}</td></tr>'
            )
    head = "<tr><th>part</th><th>score</th><th>this run</th><th>unit</th><th>stated</th></tr>"
    return f'<table id="scores">{head}{"".join(rows)}</table>'


def media_html(item: Media) -> str:
    label = html.escape(item.label)
    if item.kind == "audio":
        return (
            f'<div class="clip"><span>{label}</span><audio controls preload="auto" '
            f'data-state="pending" data-file="{html.escape(item.path.name)}" '
            f'src="{data_uri(item.path)}"></audio></div>'
        )
    return (
        f'<figure><img alt="{label}" data-file="{html.escape(item.path.name)}" '
        f'src="{data_uri(item.path)}"><figcaption>{label}</figcaption></figure>'
    )


def provenance_html(result: PartResult) -> str:
    items = []
    for bundle in result.bundles:
        provenance = bundle.provenance or {}
        command = provenance.get("command")
        how = (
            f"<code>{html.escape(str(command))}</code>"
            if command
            else "no training command recorded"
        )
        stated = provenance.get("scores") or {}
        claims = ", ".join(f"{html.escape(str(k))} {number(v)}" for k, v in stated.items())
        items.append(
            f"<li><b>{bundle.name}</b> (<code>{html.escape(str(bundle.path))}</code>): trained "
            f"by {how}{'; stated: ' + claims if claims else ''}</li>"
        )
    return f"<ul>{''.join(items)}</ul>"


def part_html(result: PartResult) -> str:
    clips = "".join(media_html(item) for item in result.media if item.kind == "audio")
    figures = "".join(media_html(item) for item in result.media if item.kind != "audio")
    media = (f'<div class="clips">{clips}</div>' if clips else "") + figures
    return (
        f'<section id="{result.part}"><h2>{html.escape(result.title)}</h2>'
        f"<p>{html.escape(result.summary)} ({result.seconds:.1f} s)</p>{media}"
        f"<h3>Bundles</h3>{provenance_html(result)}</section>"
    )


def render_report(results: Sequence[PartResult], settings: dict[str, Any]) -> str:
    """The whole page; ``settings`` (precision, seed, wall time, ...) are listed under the table."""
    listed = ", ".join(f"{key} {html.escape(str(value))}" for key, value in settings.items())
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>diffmm demo</title><style>{STYLE}</style></head><body>"
        "<h1>diffmm demo</h1><p>Every number below was measured in this run; the last column "
        "is what each bundle was stated to score when it was trained.</p>"
        f"{score_table(results)}<p>{listed}</p>"
        f"{''.join(part_html(result) for result in results)}"
        f"<script>{SCRIPT}</script></body></html>"
    )
