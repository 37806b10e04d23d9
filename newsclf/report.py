"""An :class:`~newsclf.evaluate.EvaluationReport` as a self-contained HTML page with plots.

:func:`write_html` writes ``index.html`` into a directory, with one PNG per plot beside it: a
confusion matrix (single-label tasks) or label co-occurrence table (multi-label tasks) and a
reliability diagram per task. The PNGs are also embedded in the page as data URIs, so the page
alone can be mailed or archived and still shows everything.

Plots need matplotlib (the ``plot`` extra: ``pip install 'newsclf[plot]'``); it is drawn with the
non-interactive Agg backend, so no display is needed.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import numpy as np

__all__ = ["write_html"]


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("the HTML report needs matplotlib: pip install 'newsclf[plot]'") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _matrix_figure(plt, task, table: dict):
    labels = table["labels"]
    counts = np.asarray(table["matrix"], dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = 1.2 + 0.62 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=8,
                        color="white" if share[i, j] > 0.6 else "black")  # fmt: skip
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    kind = "confusion matrix" if not task.is_multi else "label co-occurrence"
    ax.set_title(f"{task.name}: {kind}\n(counts; colour = share of the true label's documents)", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return fig


def _reliability_figure(plt, task, calibration: dict):
    from matplotlib.ticker import NullFormatter

    bins = calibration["bins"]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.2, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    centres = [(b["lo"] + b["hi"]) / 2 for b in bins]
    width = bins[0]["hi"] - bins[0]["lo"] if bins else 0.1
    top.bar(centres, [b["accuracy"] for b in bins], width=width * 0.9, color="#4c72b0", alpha=0.8, label="observed")
    top.plot(centres, [b["confidence"] for b in bins], "_", color="#c44e52", markersize=14, markeredgewidth=2,
             label="mean predicted probability")  # fmt: skip
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    what = "top label correct" if not task.is_multi else "label applies"
    top.set_ylabel(f"share: {what}")
    top.set_title(f"{task.name}: reliability (ECE {calibration['ece']:.3f})", fontsize=10)
    top.legend(loc="upper left", fontsize=8)
    bottom.bar(centres, [b["count"] for b in bins], width=width * 0.9, color="#8c8c8c")
    bottom.set_yscale("log")
    bottom.yaxis.set_minor_formatter(NullFormatter())  # decades only: minor labels overlap
    bottom.set_ylabel("count")
    bottom.set_xlabel("predicted probability" if task.is_multi else "confidence of the top label")
    return fig


def _score_cell(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else html.escape(str(value))


def _label_table(task, scores: dict, thresholds: dict) -> str:
    rows = []
    for label, m in scores["labels"].items():
        cut = thresholds.get(label)
        shown = "" if cut is None else f"{cut['threshold']:.2f}" + (" (given)" if cut["overridden"] else "")
        rows.append(
            f"<tr><td>{html.escape(label)}</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td>"
            f"<td>{m['f1']:.3f}</td><td>{m['support']}</td><td>{shown}</td></tr>"
        )
    head = "<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>threshold</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


_NAMES = {"micro_f1": "micro-F1", "macro_f1": "macro-F1", "subset_accuracy": "subset accuracy",
          "hamming_loss": "Hamming loss", "accuracy": "accuracy"}  # fmt: skip
_SUMMARY_KEYS = {
    "multi": ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss"),
    "single": ("accuracy", "macro_f1"),
}


def _groups_table(report) -> str:
    parts = []
    for column, groups in report.by.items():
        head = "".join(
            f"<th>{html.escape(t.name)} {_NAMES[k]}</th>" for t in report.tasks for k in _SUMMARY_KEYS[t.kind]
        )
        rows = []
        for value, g in groups.items():
            cells = "".join(
                f"<td>{_score_cell(g[t.name][k])}</td>" for t in report.tasks for k in _SUMMARY_KEYS[t.kind]
            )
            rows.append(f"<tr><td>{html.escape(value or '(none)')}</td><td>{g['n']}</td>{cells}</tr>")
        parts.append(
            f"<h3>By {html.escape(column)}</h3><table><tr><th>{html.escape(column)}</th><th>n</th>{head}</tr>"
            + "".join(rows) + "</table>"
        )  # fmt: skip
    return "".join(parts)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f0f0; }
.plots { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
.plots figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; max-width: 520px; }
"""


def write_html(report, directory, title: str = "newsclf evaluation") -> str:
    """Write ``report`` as ``directory/index.html`` plus one PNG per plot; returns the page's path."""
    plt = _pyplot()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for task in report.tasks:
        s = report.overall[task.name]
        summary = ", ".join(f"{_NAMES[k]} {s[k]:.3f}" for k in _SUMMARY_KEYS[task.kind])
        figures = []
        for kind, fig in (
            ("confusion", _matrix_figure(plt, task, report.confusion[task.name])),
            ("reliability", _reliability_figure(plt, task, report.calibration[task.name])),
        ):
            png = _png(fig)
            plt.close(fig)
            name = f"{kind}_{task.name}.png"
            (out / name).write_bytes(png)
            caption = (
                "Rows: true label; columns: predicted label." if kind == "confusion" else
                "Bars: how often the prediction was right, per probability bin; red marks: the mean predicted "
                "probability in the bin. A calibrated model's bars reach its marks, on the diagonal."
            )  # fmt: skip
            data = base64.b64encode(png).decode("ascii")
            figures.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(name)}">'
                f"<figcaption>{html.escape(caption)} (also saved as {html.escape(name)})</figcaption></figure>"
            )
        sections.append(
            f"<h2>{html.escape(task.name)} ({task.kind}-label)</h2><p>{html.escape(summary)}, "
            f"ECE {report.calibration[task.name]['ece']:.3f}</p>"
            + _label_table(task, s, report.thresholds.get(task.name, {}))
            + f'<div class="plots">{"".join(figures)}</div>'
        )  # fmt: skip
    page = (
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{report.n} documents.</p>{''.join(sections)}<h2>Breakdowns</h2>{_groups_table(report)}</body></html>"
    )
    path = out / "index.html"
    tmp = out / f".index.html.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return str(path)
