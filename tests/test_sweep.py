"""Sweeps: valid draws, determinism across engines and workers, resume, failing draws."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tertius.errors import InputError
from tertius.io import load_scenario
from tertius.models import MODELS, run_model
from tertius.scenario import Override, Perturbation
from tertius.sweeps import SweepJob, run_chunk, sweep
from tertius.sweeps.perturb import apply, draw
from tests.strategies import build, scenario_data


@given(data=scenario_data(), dist=st.sampled_from(["uniform", "normal", "truncnorm"]),
       pos=st.floats(0, 50), rel=st.floats(0, 2), seed=st.integers(0, 2**32 - 1))
def test_draws_stay_valid(data, dist, pos, rel, seed):
    s = build(data)
    b = draw(s, Perturbation(distribution=dist, position=pos, salience=rel, capability=rel),
             np.random.default_rng(seed), 20)
    arr = s.arrays
    present = arr.present[None]
    assert np.all(np.isnan(b["position"]) == ~present)
    x = b["position"][np.broadcast_to(present, b["position"].shape)]
    lo = np.broadcast_to(arr.lo, b["position"].shape)[np.broadcast_to(present, b["position"].shape)]
    hi = np.broadcast_to(arr.hi, b["position"].shape)[np.broadcast_to(present, b["position"].shape)]
    assert np.all((x >= lo) & (x <= hi))
    assert np.all((b["salience"] >= 0) & (b["salience"] <= 1)) and np.all(b["capability"] >= 0)


def test_overrides_apply():
    s = load_scenario()
    spec = Perturbation(position=0, salience=0, capability=0,
                        overrides=[Override(actor="qing", capability=0.5), Override(issue="ports", position=1)])
    b = draw(s, spec, np.random.default_rng(1), 200)
    arr = s.arrays
    q, ports = s.actor_ids.index("qing"), s.issue_ids.index("ports")
    varied_cap = np.ptp(b["capability"], axis=0)
    assert varied_cap[q] > 0 and np.all(np.delete(varied_cap, q) == 0)
    varied_pos = np.nanmax(np.ptp(b["position"], axis=0), axis=0)
    assert varied_pos[ports] > 0 and np.all(np.delete(varied_pos, ports) == 0)
    assert np.all(np.ptp(b["salience"], axis=0) == 0)
    assert np.abs(b["position"][:, :, ports] - arr.position[None, :, ports])[~np.isnan(b["position"][:, :, ports])].max() <= 1


@pytest.mark.parametrize("model", sorted(m for m in MODELS if MODELS[m].batch is not None))
def test_batch_form_equals_the_model_run_draw_by_draw(model):
    s = load_scenario("eu-emissions-1994") if model == "bdm" else load_scenario()
    b = draw(s, Perturbation(position=1 if model == "bdm" else 10), np.random.default_rng(5), 25)
    spec = MODELS[model]
    params = spec.params({})
    batch = spec.batch(s, b["position"], b["salience"], b["capability"], params)
    loop = np.array([run_model(apply(s, b["position"][d], b["salience"][d], b["capability"][d]), model).outcome
                     for d in range(25)])
    np.testing.assert_allclose(batch, loop, rtol=0, atol=1e-9)


def _bytes(path) -> bytes:
    return (path / "sweep.parquet").read_bytes() if (path / "sweep.parquet").exists() else b""


def _run(tmp_path, name, **kw):
    s = load_scenario()
    out = tmp_path / name
    job, tables, summary = sweep(s, "compromise", n=300, seed=11, out=out, chunk_size=70, broker=False, **kw)
    tables["table"].to_parquet(out / "sweep.parquet", index=False)
    return tables["table"], summary, out


def test_same_seed_same_numbers_on_every_engine(tmp_path):
    base, summary, out0 = _run(tmp_path, "inprocess")
    procs, _, out1 = _run(tmp_path, "processes", engine="processes", workers=2)
    pd.testing.assert_frame_equal(base, procs)
    assert _bytes(out0) == _bytes(out1)
    assert base["draw"].tolist() == sorted(base["draw"].tolist())
    assert len(base) == 300 * 8 and summary["quantiles"]["legations"]["n"] == 300


def test_dask_local_cluster_gives_identical_bytes(tmp_path):
    """Start a dask.distributed LocalCluster on loopback and check byte identity."""
    distributed = pytest.importorskip("distributed")
    base, _, out0 = _run(tmp_path, "inprocess")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        dask_table, _, out1 = _run(tmp_path, "dask", engine="dask", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(base, dask_table)
    assert _bytes(out0) == _bytes(out1)


def test_resume_continues_from_written_chunks(tmp_path):
    s = load_scenario()
    full, _, _ = _run(tmp_path, "full")
    out = tmp_path / "partial"
    job = SweepJob(scenario=s, model="compromise", params={}, spec=s.perturbation, seed=11, n=300, chunk_size=70)
    # simulate an interrupted run: only chunks 0 and 2 were written
    from tertius.sweeps.engines import write_table_atomic
    (out / "chunks").mkdir(parents=True)
    (out / "chunks" / "job.json").write_text(json.dumps(job.signature(), sort_keys=True, default=str))
    for i in (0, 2):
        r = run_chunk(job, i)
        write_table_atomic(r["table"], out / "chunks" / f"chunk-{i:06d}.parquet")
        write_table_atomic(r["options"], out / "chunks" / f"options-{i:06d}.parquet")
    with pytest.raises(InputError, match="--resume"):
        sweep(s, "compromise", n=300, seed=11, out=out, chunk_size=70, broker=False)
    done = []
    _, tables, _ = sweep(s, "compromise", n=300, seed=11, out=out, chunk_size=70, broker=False, resume=True,
                         progress=done.append)
    assert done[0] == 2 and sum(done[1:]) == 3  # two chunks reused, three run
    pd.testing.assert_frame_equal(tables["table"], full)
    with pytest.raises(InputError, match="different sweep"):
        sweep(s, "compromise", n=300, seed=12, out=out, chunk_size=70, broker=False, resume=True)
    assert not list((out / "chunks").glob(".*.tmp"))


def test_a_failing_draw_is_reported_and_the_rest_survive(tmp_path):
    """Perturb so hard that some draws lose every capability on an issue of the bdm model's
    input; force failures by a model parameter that breaks on some draws."""
    s = load_scenario("eu-emissions-1994")
    from tertius.models import registry

    calls = {"n": 0}

    def fragile(scenario, params, rng):
        calls["n"] += 1
        if scenario.arrays.position[0, 0] > 4.5:
            raise ValueError("degenerate draw")
        return registry.MODELS["compromise"].fn(scenario, params, rng)

    registry.MODELS["fragile-test"] = registry.ModelSpec("fragile-test", fragile, "test", "test")
    try:
        _, tables, summary = sweep(s, "fragile-test", n=40, seed=1, out=tmp_path / "f", chunk_size=16,
                                   perturbation=Perturbation(position=1.0))
    finally:
        del registry.MODELS["fragile-test"]
    failed = summary["failed"]
    assert 0 < len(failed) < 40
    assert all(f["error"] == "ValueError: degenerate draw" and f["seed"] == 1 for f in failed)
    ok = tables["table"][tables["table"]["error"] == ""]
    assert ok["outcome"].notna().all() and summary["quantiles"]["emission_date"]["n"] == 40 - len(failed)


def test_broker_shares_in_a_sweep(tmp_path):
    s = load_scenario()
    _, tables, summary = sweep(s, "compromise", n=30, seed=2, out=tmp_path / "b", chunk_size=15)
    assert set(summary["third_party_shares"]) == {"1858", "1860"}
    for parties in summary["third_party_shares"].values():
        for shares in parties.values():
            assert sum(shares.values()) == pytest.approx(1.0)
    assert len(tables["options"]) == 30 * 2 * 2


def test_every_draw_has_its_own_model_seed_and_reruns_from_it(tmp_path):
    """A stochastic model (REX: exchange with p = 0.5) over several chunks: no two draws share a
    model seed, and one draw re-run from its recorded seed gives the same row."""
    from tertius.seeds import child_seed
    from tertius.sweeps.engines import chunk_seed

    s = load_scenario()
    params = {"p": 0.5, "rounds": 2}
    spec = Perturbation(position=0, salience=0, capability=0)
    job, tables, _ = sweep(s, "exchange", n=9, seed=4, perturbation=spec, params=params, out=tmp_path / "rex",
                           chunk_size=3, broker=False)
    table = tables["table"]
    seeds = table.drop_duplicates("draw")["model_seed"].to_numpy()
    assert len(set(seeds.tolist())) == 9
    assert int(seeds[3]) == child_seed(4, "draw", 3)
    rows = table[table["draw"] == 4].sort_values("issue")
    b = draw(s, spec, np.random.default_rng(chunk_seed(4, 1)), 3)
    again = run_model(apply(s, b["position"][1], b["salience"][1], b["capability"][1]), "exchange", params,
                      seed=int(rows["model_seed"].iloc[0]))
    expected = dict(zip(s.issue_ids, again.outcome, strict=True))
    for r in rows.itertuples():
        assert r.outcome == pytest.approx(expected[r.issue], abs=1e-12)
    # without perturbation, draws differ only through the model's own randomness
    outcomes = table.pivot(index="draw", columns="issue", values="outcome").to_numpy()
    assert len({tuple(np.round(o, 9)) for o in outcomes}) > 1


def test_sweep_command(tmp_path):
    from typer.testing import CliRunner

    from tertius.cli import app

    r = CliRunner().invoke(app, ["sweep", "--n", "20", "--chunk-size", "7", "--out", str(tmp_path / "s"),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["n"] == 20 and set(data["files"]) == {"table", "summary", "report"}
    assert (tmp_path / "s" / "report.html").exists()


def test_resume_with_a_larger_n_grows_a_finished_sweep(tmp_path):
    s = load_scenario()
    out = tmp_path / "grow"
    sweep(s, "compromise", n=300, seed=11, out=out, chunk_size=70, broker=False)
    done: list[int] = []
    _, grown, _ = sweep(s, "compromise", n=450, seed=11, out=out, chunk_size=70, broker=False, resume=True,
                        progress=done.append)
    assert done[0] == 4 and sum(done[1:]) == 3  # four full chunks kept; the partial one and two new drawn
    _, fresh, _ = sweep(s, "compromise", n=450, seed=11, out=tmp_path / "fresh", chunk_size=70, broker=False)
    pd.testing.assert_frame_equal(grown["table"], fresh["table"])


def test_overwrite_replaces_an_earlier_sweep(tmp_path):
    s = load_scenario()
    out = tmp_path / "again"
    sweep(s, "compromise", n=100, seed=1, out=out, chunk_size=40, broker=False)
    with pytest.raises(InputError, match="--overwrite"):
        sweep(s, "compromise", n=100, seed=2, out=out, chunk_size=40, broker=False)
    _, tables, _ = sweep(s, "compromise", n=100, seed=2, out=out, chunk_size=40, broker=False, overwrite=True)
    _, fresh, _ = sweep(s, "compromise", n=100, seed=2, out=tmp_path / "fresh", chunk_size=40, broker=False)
    pd.testing.assert_frame_equal(tables["table"], fresh["table"])


def test_without_pyarrow_the_table_is_csv_and_resume_still_works(tmp_path, monkeypatch):
    import tertius.cli
    from tertius.cli import write_sweep
    from tertius.sweeps import engines

    monkeypatch.setattr(engines, "table_format", lambda: "csv")
    monkeypatch.setattr(tertius.cli, "table_format", lambda: "csv")
    s = load_scenario()
    out = tmp_path / "csv"
    _, first, summary = sweep(s, "compromise", n=150, seed=3, out=out, chunk_size=60, broker=False)
    assert sorted(p.suffix for p in (out / "chunks").glob("chunk-*")) == [".csv"] * 3
    _, grown, _ = sweep(s, "compromise", n=200, seed=3, out=out, chunk_size=60, broker=False, resume=True)
    pd.testing.assert_frame_equal(grown["table"].iloc[:120 * 8], first["table"].iloc[:120 * 8], check_dtype=False)
    files = write_sweep(out, grown, summary)
    assert files["table"].endswith("sweep.csv") and not (out / "sweep.parquet").exists()
