"""Seeded Monte Carlo sweeps, split into chunks that any engine can run.

Draw d belongs to chunk d // chunk_size. Chunk c draws its inputs from its own generator,
``numpy.random.default_rng(SeedSequence([seed, c]))``, so a chunk's numbers depend only on
(seed, chunk size, chunk index) and never on which process or machine ran it. The engines
differ only in where chunks run:

* ``inprocess``: one after another in this process (the default);
* ``processes``: a local process pool (``--workers K``);
* ``dask``: a Dask distributed cluster (``--scheduler tcp://host:8786``; without an address a
  local cluster is started).

Results are assembled in chunk order, so the output is identical byte for byte whatever the
engine and however many workers. Each finished chunk is written at once (atomically) under
``<out>/chunks/``; ``--resume`` skips the chunks already there, and an interrupted sweep
leaves only whole chunk files, never a half-written table.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tertius.conflict.draws import war_draws
from tertius.conflict.equilibrium import METHODS
from tertius.conflict.thirdparty import equilibrium_options
from tertius.conflict.war import OPTIONS, phases_of
from tertius.errors import PARAMS, InputError
from tertius.io.files import write_atomic, write_text_atomic
from tertius.models import bdm_kernel, get_model, run_model
from tertius.perturb import apply, draw
from tertius.scenario import OPTION_CODES, Perturbation, Scenario
from tertius.seeds import child_rng, child_seed, child_seeds
from tertius.text import finite_or_none
from tertius.uncertainty import labeller, moved_in_draws

if TYPE_CHECKING:  # pandas is imported where a table is built, not by every command that imports the package
    import pandas as pd

ENGINES = ("inprocess", "processes", "dask")


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` (its inputs' generator): ``child_seed(seed, index)``."""
    return child_seed(seed, index)


def draw_seed(seed: int, draw: int) -> int:
    """The model's seed for draw ``draw`` (its index in the whole sweep): ``child_seed(seed, "draw",
    draw)``. Every draw has its own stream, whichever chunk holds it."""
    return child_seed(seed, "draw", draw)


def draw_seeds(seed: int, first: int, size: int) -> np.ndarray:
    """:func:`draw_seed` for draws ``first`` to ``first + size - 1``, as uint64, computed together."""
    return child_seeds(seed, "draw", indices=np.arange(first, first + size, dtype=np.uint64))


@dataclass(frozen=True)
class SweepJob:
    scenario: Scenario
    model: str
    params: dict[str, Any]
    spec: Perturbation
    seed: int
    n: int
    chunk_size: int
    broker: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chunks(self) -> int:
        return -(-self.n // self.chunk_size)

    def signature(self) -> dict[str, Any]:
        """What must match for --resume to reuse chunk files."""
        return {"scenario": self.scenario.to_data(), "model": self.model, "params": self.params,
                "perturbation": self.spec.model_dump(), "seed": self.seed, "n": self.n,
                "chunk_size": self.chunk_size, "broker": self.broker}


def evaluate_draws(job: SweepJob, batch: dict[str, np.ndarray], first: int = 0) -> tuple[np.ndarray, list[str | None]]:
    """Outcomes (size, m) for a batch of drawn inputs, and an error message per draw (None: ok).

    The model's batch form runs first; if it fails, or gives non-finite outcomes, the affected
    draws are rerun one by one so that a degenerate draw is reported and the rest survive."""
    spec = get_model(job.model)
    params = spec.params(job.params)
    size = batch["position"].shape[0]
    m = len(job.scenario.issues)
    out = np.full((size, m), np.nan)
    errors: list[str | None] = [None] * size
    redo = list(range(size))
    if spec.batch is not None:
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(spec.batch(job.scenario, batch["position"], batch["salience"],
                                            batch["capability"], params), dtype=float)
            redo = np.nonzero(~np.isfinite(out).all(axis=1))[0].tolist()
        except Exception:
            redo = list(range(size))
    for d in redo:
        try:
            drawn = apply(job.scenario, batch["position"][d], batch["salience"][d], batch["capability"][d])
            out[d] = run_model(drawn, job.model, params, seed=draw_seed(job.seed, first + d)).outcome
            if not np.all(np.isfinite(out[d])):
                errors[d] = "non-finite outcome"
        except Exception as e:
            if isinstance(e, InputError) and e.file == PARAMS:  # fails every draw: the user's mistake, not the draw's
                raise
            out[d] = np.nan
            errors[d] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
    return out, errors


def _broker_rows(job: SweepJob, batch: dict[str, np.ndarray], first: int, index: int) -> list[dict[str, Any]]:
    """Every third party's option in the selected equilibrium of every draw, and the method that
    found it (:data:`tertius.conflict.equilibrium.METHODS`). As in the robustness check of
    ``tertius broker``, every conflict input and distance is drawn within its range too
    (:func:`tertius.conflict.draws.war_draws`; a child seed per chunk and phase)."""
    rows = []
    size = batch["position"].shape[0]
    for phase in phases_of(job.scenario):
        rng = child_rng(job.seed, "sweep-conflict", index, phase.id if phase else "")
        groups, _ = war_draws(job.scenario, phase, batch, rng)
        third = groups[0][1].third_ids if groups else []
        codes = np.zeros((size, len(third)), dtype=np.int8)
        how = np.zeros(size, dtype=np.int8)
        for idx, war in groups:
            codes[idx], how[idx], _, _ = equilibrium_options(war)
        for d in range(size):
            for j, tp in enumerate(third):
                rows.append({"draw": first + d, "phase": phase.id if phase else "", "third_party": tp,
                             "best": OPTIONS[codes[d, j]], "method": METHODS[how[d]]})
    return rows


def moved(scenario: Scenario) -> list[dict[str, Any]]:
    """The inputs a sweep's third-party draws move besides positions, saliences and capabilities,
    with their values and ranges (:func:`tertius.uncertainty.moved_in_draws`)."""

    name = labeller(scenario)
    return [{"input": i.key, "label": name(i), "value": i.value, "range": [i.lo, i.hi],
             "assumed": i.assumed, "declared_range": i.declared} for i in moved_in_draws(scenario)]


@functools.cache
def _string_dtype() -> Any:
    """The dtype pandas infers for a column of strings (it depends on the pandas version only)."""
    import pandas as pd

    return pd.Series(["x"]).dtype


def repeated_strings(codes: np.ndarray, values: list[str]) -> Any:
    """A string column holding ``values[codes]``, of the string type pandas would infer for it
    (the sweep's tables repeat a handful of strings over every row). With pandas' Arrow-backed
    strings (pandas 3) the column is built in Arrow from a dictionary, several times faster than
    letting pandas convert a row of Python strings each; otherwise an object array."""
    import pandas as pd

    kind = _string_dtype()
    if isinstance(kind, pd.StringDtype) and kind.storage == "pyarrow":
        import pyarrow as pa  # present whenever pandas stores strings in Arrow

        dictionary = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(values, pa.large_string()))
        return pd.array(dictionary.cast(pa.large_string()), dtype=kind)
    return np.array(values, dtype=object)[codes]


def run_chunk(job: SweepJob, index: int) -> dict[str, pd.DataFrame]:
    """Draw and evaluate chunk ``index``: a tidy table (one row per draw and issue) and, for a
    scenario with a conflict, the best option of every third party in every draw."""
    import pandas as pd

    start = index * job.chunk_size
    size = min(job.chunk_size, job.n - start)
    seed = chunk_seed(job.seed, index)
    rng = np.random.default_rng(seed)
    batch = draw(job.scenario, job.spec, rng, size)
    outcomes, errors = evaluate_draws(job, batch, start)
    issues = job.scenario.issue_ids
    m = len(issues)
    rows = size * m
    error_values, error_codes = np.unique(np.array([e or "" for e in errors], dtype=object), return_inverse=True)
    same = np.zeros(rows, dtype=np.int32)
    table = pd.DataFrame({
        "draw": np.repeat(np.arange(start, start + size), m),
        "issue": repeated_strings(np.tile(np.arange(m, dtype=np.int32), size), issues),
        "outcome": outcomes.reshape(-1),
        "error": repeated_strings(np.repeat(error_codes.astype(np.int32), m), error_values.tolist()),
        "model": repeated_strings(same, [job.model]),
        "seed": job.seed,
        "chunk": index,
        "chunk_seed": np.uint64(seed),
        "model_seed": np.repeat(draw_seeds(job.seed, start, size), m),
        "params": repeated_strings(same, [json.dumps(job.params, sort_keys=True)]),
        "perturbation": repeated_strings(same, [json.dumps(job.spec.model_dump(), sort_keys=True)]),
    })
    options = pd.DataFrame(_broker_rows(job, batch, start, index) if job.broker else [],
                           columns=["draw", "phase", "third_party", "best", "method"])
    return {"table": table, "options": options}


# ------------------------------------------------------------------------------ engines
def _one_thread_chunk(job: SweepJob, index: int) -> dict[str, pd.DataFrame]:
    """:func:`run_chunk` in a Dask worker process: the bdm kernel on one thread, as in the
    ``processes`` engine's workers (each worker has a core)."""
    bdm_kernel.one_thread()
    return run_chunk(job, index)


def _inprocess(job: SweepJob, todo: list[int], workers: int, scheduler: str | None) -> Iterator[tuple[int, Any]]:
    for i in todo:
        yield i, run_chunk(job, i)


def _processes(job: SweepJob, todo: list[int], workers: int, scheduler: str | None) -> Iterator[tuple[int, Any]]:
    # the workers use every core between them: the bdm kernel runs on one thread in each
    with ProcessPoolExecutor(max_workers=workers, initializer=bdm_kernel.one_thread) as pool:
        yield from zip(todo, pool.map(run_chunk, [job] * len(todo), todo), strict=True)


def _dask(job: SweepJob, todo: list[int], workers: int, scheduler: str | None) -> Iterator[tuple[int, Any]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("the dask engine needs the 'distributed' package", file="--engine",
                         fix="pip install 'tertius[dask]', or use --engine processes") from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as e:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({e})",
                             fix="start one with 'dask scheduler' or check the address") from None
    try:
        futures = {client.submit(_one_thread_chunk, job, i, pure=False): i for i in todo}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _pooled(job: SweepJob, todo: list[int], executor: Executor, window: int = 2) -> Iterator[tuple[int, Any]]:
    """Chunks run by a caller's executor (the page's worker pool), at most ``window`` submitted
    ahead, and yielded in chunk order; chunks not yet run are cancelled when the sweep stops."""
    pending: deque[tuple[int, Future[Any]]] = deque()
    ahead = iter(todo)
    try:
        for i in itertools.islice(ahead, window):
            pending.append((i, executor.submit(run_chunk, job, i)))
        while pending:
            i, future = pending.popleft()
            result = future.result()
            for j in itertools.islice(ahead, 1):
                pending.append((j, executor.submit(run_chunk, job, j)))
            yield i, result
    finally:
        for _, future in pending:
            future.cancel()


_ENGINES: dict[str, Callable[..., Iterator[tuple[int, Any]]]] = {
    "inprocess": _inprocess, "processes": _processes, "dask": _dask,
}


def table_format() -> str:
    """``parquet`` where pyarrow is installed (the ``parquet`` extra), else ``csv``."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return "csv"
    return "parquet"


#: Column types restored when a table is read back from CSV.
_CSV_TYPES: dict[str, Any] = {"chunk_seed": "uint64", "model_seed": "uint64", "error": str, "issue": str, "phase": str,
              "third_party": str, "best": str, "params": str, "perturbation": str, "model": str}


def write_table_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as Parquet or CSV, by the path's suffix, through a temporary file."""
    if path.suffix == ".parquet":
        write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow"))
    else:
        write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    if path.suffix == ".parquet":
        if table_format() != "parquet":
            raise InputError("reading these chunks needs pyarrow", file=str(path),
                             fix="pip install 'tertius[parquet]', or start the sweep again with --overwrite")
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False, dtype=_CSV_TYPES)



def _chunk_sizes(n: int, chunk_size: int) -> list[int]:
    return [min(chunk_size, n - start) for start in range(0, n, chunk_size)]


def run_sweep(job: SweepJob, out: Path, *, engine: str = "inprocess", workers: int = 1,
              scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
              progress: Callable[[int], None] | None = None,
              executor: Executor | None = None) -> dict[str, pd.DataFrame]:
    """Run every chunk not already on disk, then assemble the tables in chunk order.

    ``executor``, when given, runs the chunks instead of ``engine`` (the page passes its worker
    pool); a chunk's draws depend on its index only, so the tables are the same bytes either way.

    ``resume`` reuses the chunks of an earlier run of the same sweep; ``n`` may differ (a finished
    sweep grows, or shrinks): a chunk is kept when it holds the same draws under the new ``n``, which
    is every full chunk, so only a last partial chunk is drawn again. ``overwrite`` deletes an
    earlier sweep's chunks first."""
    import pandas as pd

    if engine not in _ENGINES:
        raise InputError(f"unknown engine '{engine}'", fix=f"use one of: {', '.join(ENGINES)}")
    chunk_dir = out / "chunks"
    sig_path = chunk_dir / "job.json"
    signature = job.signature()
    old_chunks = sorted(chunk_dir.glob("chunk-*.*")) + sorted(chunk_dir.glob("options-*.*")) if chunk_dir.exists() else []
    keep: set[int] = set()
    if old_chunks and overwrite:
        for path in old_chunks:
            path.unlink()
        old_chunks = []
    if old_chunks:
        if not resume:
            raise InputError(f"{chunk_dir} holds chunks of an earlier sweep", file=str(out),
                             fix="pass --resume to continue or grow it (--resume --n N), --overwrite to replace it, "
                                 "or choose another --out (in Python: resume=True, overwrite=True or out=...)")
        try:
            before = json.loads(sig_path.read_text())
        except (OSError, ValueError):
            before = None
        same = before is not None and {k: v for k, v in before.items() if k != "n"} == json.loads(
            json.dumps({k: v for k, v in signature.items() if k != "n"}, sort_keys=True, default=str))
        if not same:
            raise InputError("the chunks on disk belong to a different sweep", file=str(chunk_dir),
                             fix="use the same scenario, model, perturbation, seed and chunk size, "
                                 "--overwrite to replace them, or another --out (in Python: overwrite=True or out=...)")
        old_sizes, new_sizes = _chunk_sizes(int(before["n"]), job.chunk_size), _chunk_sizes(job.n, job.chunk_size)
        keep = {i for i in range(min(len(old_sizes), len(new_sizes))) if old_sizes[i] == new_sizes[i]}
        for path in old_chunks:  # chunks that hold other draws under the new n
            if int(path.stem.split("-")[1]) not in keep:
                path.unlink()
    made = [d for d in (out, chunk_dir) if not d.exists()]
    chunk_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(sig_path, json.dumps(signature, sort_keys=True, default=str))
    suffix = "." + table_format()

    def paths(i: int) -> tuple[Path, Path]:
        for ext in (".parquet", ".csv"):  # a chunk written earlier keeps its format
            table, options = chunk_dir / f"chunk-{i:06d}{ext}", chunk_dir / f"options-{i:06d}{ext}"
            if table.exists() and options.exists():
                return table, options
        return chunk_dir / f"chunk-{i:06d}{suffix}", chunk_dir / f"options-{i:06d}{suffix}"

    todo = [i for i in range(job.chunks) if not (paths(i)[0].exists() and paths(i)[1].exists())]
    if progress is not None:
        progress(job.chunks - len(todo))
    try:
        chunks = (_pooled(job, todo, executor) if executor is not None
                  else _ENGINES[engine](job, todo, workers, scheduler))
        for i, result in chunks:
            table_path, options_path = paths(i)
            write_table_atomic(result["options"], options_path)
            write_table_atomic(result["table"], table_path)
            if progress is not None:
                progress(1)
    except BaseException:
        _forget(chunk_dir, sig_path, made)
        raise
    table = pd.concat([read_table(paths(i)[0]) for i in range(job.chunks)], ignore_index=True)
    options = pd.concat([read_table(paths(i)[1]) for i in range(job.chunks)], ignore_index=True)
    return {"table": table, "options": options}


def _forget(chunk_dir: Path, sig_path: Path, made: list[Path]) -> None:
    """A sweep that fails before its first chunk leaves nothing behind: its signature goes, and so
    do the folders it made. Chunks already on disk stay, with the signature, for ``--resume``."""
    if any(chunk_dir.glob("chunk-*.*")) or any(chunk_dir.glob("options-*.*")):
        return
    sig_path.unlink(missing_ok=True)
    for folder in reversed(made):  # the innermost first; a folder that is not empty stays
        with contextlib.suppress(OSError):
            folder.rmdir()


def summarise(job: SweepJob, table: pd.DataFrame, options: pd.DataFrame) -> dict[str, Any]:
    """Quantiles (5/25/50/75/95) of each issue's outcome, failures with their seeds, and the
    share of draws in which each third-party option ranks first."""
    ok = table[table["error"] == ""]
    quantiles = {}
    for issue in job.scenario.issue_ids:
        v = ok.loc[ok["issue"] == issue, "outcome"].to_numpy()
        q = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95]) if v.size else [None] * 5
        quantiles[issue] = {**{k: finite_or_none(x) for k, x in zip(("q05", "q25", "q50", "q75", "q95"), q, strict=True)},
                            "mean": finite_or_none(v.mean()) if v.size else None, "n": int(v.size)}
    failed = table[table["error"] != ""].drop_duplicates("draw")
    shares: dict[str, dict[str, dict[str, float]]] = {}
    for (phase, tp), group in options.groupby(["phase", "third_party"], sort=False):
        counts = group["best"].value_counts(normalize=True)
        shares.setdefault(str(phase), {})[str(tp)] = {o: float(counts.get(o, 0.0))
                                                      for o in OPTION_CODES}
    methods: dict[str, dict[str, float]] = {}  # per phase, the share of draws each method solved
    if "method" in options:  # chunks written before the column have none
        for phase, group in options.drop_duplicates(["draw", "phase"]).groupby("phase", sort=False):
            counts = group["method"].value_counts(normalize=True)
            methods[str(phase)] = {m: float(counts.get(m, 0.0)) for m in METHODS}
    try:
        base = run_model(job.scenario, job.model, job.params, seed=job.seed)
        unperturbed = {i: finite_or_none(base.outcome[k]) for k, i in enumerate(base.issue_ids)}
    except InputError:
        unperturbed = {i: None for i in job.scenario.issue_ids}
    c = job.scenario.conflict
    phases = {} if c is None else {
        (p.id if p else ""): {"name": (p.name or p.id) if p else "", "sides": [c.side_a.name, c.side_b.name]}
        for p in phases_of(job.scenario)}
    return {
        "scenario": job.scenario.id, "title": job.scenario.title or job.scenario.id, "model": job.model,
        "params": job.params, "seed": job.seed, "n": job.n,
        "chunk_size": job.chunk_size, "perturbation": job.spec.model_dump(), "quantiles": quantiles,
        "issues": {i.id: {"name": i.name or i.id, "min": i.scale.min, "max": i.scale.max} for i in job.scenario.issues},
        "unperturbed": unperturbed,
        "phases": phases,
        "names": {a.id: a.name or a.id for a in job.scenario.actors},
        "failed": [{"draw": int(r["draw"]), "seed": job.seed, "chunk": int(r["chunk"]), "chunk_seed": int(r["chunk_seed"]),
                    "error": r["error"]} for r in failed.to_dict("records")],
        "third_party_shares": shares,
        "third_party_methods": methods,
        "moved": moved(job.scenario) if job.broker and c is not None else [],
    }
