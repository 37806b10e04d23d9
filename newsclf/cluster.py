"""Scaling scoring out with Dask: one output part per input partition, the model loaded once per worker.

Optional: needs ``pip install 'newsclf[dask]'``. Two entry points:

- :func:`score_dask_dataframe` maps :func:`newsclf.scoring.score_dataframe` over the partitions of
  a ``dask.dataframe``; the model is referred to by its directory, so each worker process loads it
  once and keeps it.
- :func:`score_files_dask` reads files matching a glob (CSV/TSV, each file one partition, every
  cell read as a string so it is written back unchanged), scores them on a cluster and writes one
  output file per input file into a directory.

To use a real cluster, start ``dask scheduler`` on one machine and ``dask worker tcp://HOST:8786``
on the others (each with newsclf installed and the model directory at the same path, or the bundled
model), then pass ``scheduler="tcp://HOST:8786"`` (``--dask-scheduler`` on the command line).
"""

from __future__ import annotations

import glob
import os

from .errors import CorpusError

__all__ = ["score_dask_dataframe", "score_files_dask"]


def _require_dask():
    try:
        import dask.dataframe as dd
        from dask.distributed import Client
    except ImportError:
        raise ImportError("scoring with Dask needs the optional extra: pip install 'newsclf[dask]'") from None
    return dd, Client


def _meta(frame, model, all_scores: bool):
    import pandas as pd

    from .scoring import _load_model, _prediction_columns

    loaded = _load_model(None if model is None else os.fspath(model))
    columns = _prediction_columns(loaded, all_scores)
    empty = frame._meta if hasattr(frame, "_meta") else frame.iloc[:0]
    return pd.concat([empty, pd.DataFrame({c: pd.Series(dtype=object) for c in columns})], axis=1)


def score_dask_dataframe(frame, model=None, *, all_scores: bool = False, **kwargs):
    """A lazy ``dask.dataframe`` of ``frame`` with the prediction columns added to every partition.

    ``model`` must be a model directory or ``None`` (the bundled model): workers load it themselves.
    """
    from .model import Model
    from .scoring import score_dataframe

    if isinstance(model, Model):
        raise TypeError("pass a model directory (or None for the bundled model), not a loaded Model: workers load it themselves")
    path = None if model is None else os.fspath(model)
    return frame.map_partitions(score_dataframe, path, all_scores=all_scores, meta=_meta(frame, path, all_scores), **kwargs)


def score_files_dask(
    pattern: str,
    output_dir: str,
    model=None,
    *,
    scheduler: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
    all_scores: bool = False,
    **kwargs,
) -> list[str]:
    """Score every CSV/TSV file matching ``pattern`` into ``output_dir`` (one part per file).

    ``scheduler`` is a Dask scheduler address; ``None`` starts a local cluster on this machine.
    Returns the paths written, in the sorted order of the inputs.
    """
    dd, Client = _require_dask()
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise CorpusError(f"no input file matches {pattern!r}")
    os.makedirs(output_dir, exist_ok=True)
    sep = delimiter or ("\t" if paths[0].lower().endswith((".tsv", ".tsv.gz")) else ",")
    client = Client(scheduler) if scheduler else Client(processes=True, n_workers=os.cpu_count() or 1, threads_per_worker=1)
    try:
        frame = dd.read_csv(
            paths, sep=sep, dtype=str, keep_default_na=False, na_filter=False, blocksize=None,
            encoding=encoding, compression="infer",
        )  # fmt: skip
        scored = score_dask_dataframe(frame, model, all_scores=all_scores, **kwargs)
        names = [os.path.basename(p).split(".")[0] for p in paths]
        if len(set(names)) != len(names):
            raise CorpusError(f"input files matching {pattern!r} share names; their outputs would collide")
        outputs = [os.path.join(output_dir, f"{name}.scored.csv") for name in names]
        scored.to_csv(outputs, index=False, sep=sep, encoding="utf-8")
    finally:
        client.close()
    return outputs
