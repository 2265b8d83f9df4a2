"""scripts/diagnose_casebook.py: why recorded brokers and joiners come out neutral (issue 18,
docs/thirdparty.md, "Why the misses come out neutral"). Run on one case at a fixed variant."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO, load_script

CASE = "second-schleswig-war-1864.yaml"
BROKER_CAUSES = {"not-open", "refused", "refused-threat-join-cost", "blocked", "no-leverage", "settled-without",
                 "deal-worse", "cost", "neutral-paid", "other"}
JOIN_CAUSES = {"neutral-paid", "join-cost", "join-cost-then-paid", "fighting-cost", "decided-no-seat", "no-gain"}


@pytest.fixture(scope="module")
def script():
    return load_script("diagnose_casebook")


@pytest.fixture(scope="module")
def diagnosis(script, tmp_path_factory):
    folder = tmp_path_factory.mktemp("case")
    shutil.copy(REPO / "casebook" / CASE, folder / CASE)
    return script.diagnose(folder, join_cost=1.0, pivotal=True)


def test_every_miss_to_neutral_gets_one_cause_and_the_table_counts_them(diagnosis):
    rows = diagnosis["decisions"]
    assert rows, "the 1864 case has recorded brokers that come out neutral at join cost 1.0"
    for r in rows:
        assert r["selected"] == "neutral" and r["recorded"] != "neutral"
        assert r["cause"] in (BROKER_CAUSES if r["recorded"] == "broker" else JOIN_CAUSES)
        # the premise of the diagnosis: staying out beats the recorded option at the selected equilibrium
        assert r["values"]["neutral"] > r["values"][r["recorded"]]
    assert sum(c["count"] for c in diagnosis["causes"]) == len(rows)
    assert sorted(d for c in diagnosis["causes"] for d in c["decisions"]) == sorted(
        f"{r['case']}/{r['phase']}/{r['third_party']}" for r in rows)


def test_the_causes_follow_from_the_play(diagnosis):
    """A refused deal has π = 0 and a refuser; a deal that the join cost's threat would carry
    holds at join cost 0; a broker kept out by its cost gains less than that cost."""
    by = {r["third_party"]: r for r in diagnosis["decisions"] if r["phase"] == "conference"}
    assert by["france"]["cause"] == "refused-threat-join-cost"
    assert by["france"]["terms"]["pi"] == 0 and by["france"]["terms"]["refusers"]
    assert by["france"]["terms"]["pi_pivotal_join_cost_0"] > 0
    sweden = by["sweden"]
    assert sweden["cause"] == "cost"
    t = sweden["terms"]
    gain = t["pi"] * (t["u_deal"] - t["war_value"])
    assert 0 < gain < t["broker_cost"]


def test_the_command_prints_json(script, tmp_path, capsys):
    shutil.copy(REPO / "casebook" / CASE, tmp_path / CASE)
    assert script.main([str(tmp_path), "--join-cost", "1.0", "--pivotal", "--all"]) == 0
    out = json.loads(capsys.readouterr().out)
    # with --all every recorded decision of the case is listed, matched or not
    assert len(out["decisions"]) == 12
    assert all("values_at_recorded_profile" in r for r in out["decisions"])
