"""Words of the report and the CLI: names not ids, no gaps in numbered notes, plural sides take
plural verbs, and the nash note names the actor whose veto holds."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
import yaml

from tertius.io import load_scenario
from tertius.models import run_model
from tertius.report.html import render_html

SINGULAR = r"(?:wins|loses|gains|takes|joins|fights|settles|is|has|was|stays|pays|gets)"


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    from tertius.analysis import analyse

    return render_html(json.loads(json.dumps(analyse(load_scenario(), draws=20))))


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for group in re.findall(r"\((\d{1,2}(?:, \d{1,2})*)\)", text):
        out.extend(int(x) for x in group.split(", "))
    return out


def test_numbered_notes_of_every_bundled_scenario_have_no_gaps() -> None:
    folder = resources.files("tertius") / "scenarios"
    checked = 0
    for f in folder.iterdir():
        if not f.name.endswith((".yaml", ".yml")):
            continue
        data = yaml.safe_load(f.read_text())
        for s in data if isinstance(data, list) else [data]:
            for note in s.get("notes", []) if isinstance(s, dict) else []:
                got = _numbers(note)
                if 1 in got:  # a numbered list
                    checked += 1
                    assert got == list(range(1, len(got) + 1)), (f.name, got)
    assert checked >= 1


def test_numbers_are_found() -> None:
    assert _numbers("(1) a (2, 3) b (5)") == [1, 2, 3, 5]


def test_plural_sides_take_plural_verbs(html: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html)
    for side in ("the Allies", "The Allies"):
        assert not re.search(re.escape(side) + r"\s+" + SINGULAR + r"\b", text), side


def test_tables_use_names_not_ids(html: str) -> None:
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"Selected equilibrium[^:]*: United States: ", text)
    assert not re.search(r"\b(usa|russia): (stay out|join|broker)", text)


def test_the_nash_note_names_the_actor_whose_veto_holds(html: str) -> None:
    s = load_scenario()
    details = run_model(s, "nash").details
    assert details["veto"] == ["qing"]
    assert "Qing China cannot gain from any change" in html and "its veto holds" in html


def test_no_veto_when_someone_can_gain() -> None:
    from tertius.scenario import Scenario

    s = Scenario.model_validate({
        "id": "v", "actors": [{"id": "a", "capability": 1}, {"id": "b", "capability": 1}],
        "issues": [{"id": "i", "scale": {"min": 0, "max": 100}, "status_quo": 50}],
        "stances": [{"actor": "a", "issue": "i", "position": 80, "salience": 1},
                    {"actor": "b", "issue": "i", "position": 90, "salience": 1}]})
    assert run_model(s, "nash").details.get("veto", []) == []
    vetoed = Scenario.model_validate({**s.to_data(), "stances": [
        {"actor": "a", "issue": "i", "position": 80, "salience": 1},
        {"actor": "b", "issue": "i", "position": 50, "salience": 1}]})
    assert run_model(vetoed, "nash").details["veto"] == ["b"]


def test_broker_states_the_answers_first_and_each_once() -> None:
    """`tertius broker` opens with one sentence per phase and third party (what it should do,
    how likely, how it profits); the decomposition after it does not repeat the sentence."""
    from tertius.conflict import third_parties
    from tertius.report.console import third_party_tables

    result = third_parties(load_scenario(), draws=20, seed=0)
    items = third_party_tables(result, width=200)
    first = items[0]
    assert isinstance(first, str) and first.startswith("The answer")
    parties = [(p, t) for p in result["phases"] for t in p["third_parties"]]
    assert len(parties) == 4 and first.count("\n- ") == len(parties)
    text = "\n".join(x for x in items if isinstance(x, str))
    for _, t in parties:
        assert " should " in t["answer"] and text.count(t["answer"]) == 1


@pytest.mark.parametrize(("share", "words"), [(1.0, "100 %"), (0.999, "over 99 %"), (0.995, "over 99 %"),
                                              (0.994, "99 %"), (0.5, "50 %"), (0.004, "under 1 %"), (0.0, "0 %")])
def test_a_share_of_draws_one_short_of_all_never_reads_all(share: float, words: str) -> None:
    """One wording of a share of perturbed draws (`tertius.text.share_words`) for the broker's
    answer, the run's summary and the report: 999 draws of 1,000 are not "100 %"."""
    from tertius.text import share_words

    assert share_words(share) == words


def test_the_summaries_say_the_share_in_words_and_what_the_casebook_setting_gives() -> None:
    """The answer first, in `tertius broker`, in `tertius run`'s summary and in the report: after
    the share of draws (which move the scenario's inputs, not the game's setting), the sentence on
    the setting selected on the casebook; for Russia in 1858, that Qing would then not pay. At the
    default draws a share of 999 in 1,000 (the United States in 1858) reads "over 99 %"."""
    from tertius.analysis import analyse
    from tertius.report.console import summary_lines
    from tertius.report.html import summary_of

    results = json.loads(json.dumps(analyse(load_scenario())))
    html = render_html(results)
    parties = [t for p in results["third_parties"]["phases"] for t in p["third_parties"]]
    summary = summary_of(results)
    lines = [x for x in summary_lines(summary) if isinstance(x, str)]
    page = html.replace("&#39;", "'")
    page = page[page.index('<section id="summary"'):page.index("</section>")]
    for t in parties:
        assert t["answer"].endswith(t["casebook_setting"]["sentence"])
    # the one-page summaries give one line on the setting: the answers it changes, and how
    assert [t["third_party"] for t in parties if "the answer is the same" not in t["answer"]] == ["russia"]
    from tertius.conflict.casebook import fitted_setting
    from tertius.conflict.thirdparty import setting_words

    note = ("Draws: every assumed input moved within its range; not the game's setting (join cost 0, without "
            "pivotal deterrence or the prestige of convening). At the setting selected on the casebook "
            f"({setting_words(fitted_setting())}) the answers are the same, except: Russian Empire (1858) "
            "would profit otherwise (Third parties, below).")
    assert summary["setting_note"] == note and note in lines and note in page
    russia = next(t for t in parties if t["third_party"] == "russia")
    assert "pays for its neutrality" in russia["answer"] and "it would also stay out, but then" in russia["answer"]
    for row in summary["parties"]:
        share = row["share"]
        text = next(line for line in lines if line.startswith(f"{row['name']} ({row['phase']})"))
        want = "over 99 %" if 0.995 <= share < 1 else f"{100 * share:.0f} %"
        assert f"the equilibrium in {want} of draws" in text
        if share < 1:
            assert "100 % of draws" not in text
    assert any(0.995 <= row["share"] < 1 for row in summary["parties"])  # the case above is reached
