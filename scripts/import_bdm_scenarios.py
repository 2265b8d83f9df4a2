"""Build the bundled YAML scenarios from the expected-utility inputs in shared/data/bdm/.

Run from the repository root: ``python scripts/import_bdm_scenarios.py [SHARED_DIR]``.
Provenance (repository, commit, publication) is restated from each folder's SOURCE.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tertius.io.actor_table import read_actor_table
from tertius.io.yaml_io import write_yaml
from tertius.scenario import Issue, Quantity, Scale, Scenario

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "tertius" / "scenarios"

CASES = [
    {
        "id": "eu-emissions-1994", "folder": "eu_emissions_1994", "file": "actors.csv",
        "title": "EC car-emission standards: the date for medium-sized cars (BDM 1994)",
        "issue": "emission_date", "issue_name": "Years until EC emission standards apply to medium-sized cars",
        "scale": (4, 10), "scale_note": "positions 4, 7 and 10 are the options on the table (SOURCE.md)",
        "sources": {
            "bdm1994": "Bueno de Mesquita, B. (1994) 'Political forecasting: an expected utility method', in Bueno de "
                       "Mesquita & Stokman (eds.), European Community Decision Making, Yale UP, table p. 78.",
            "scholz2011": "Scholz, Calbert & Smith (2011) 'Unravelling Bueno De Mesquita's group decision model', "
                          "J. Theoretical Politics 23(4), Table 1, doi:10.1177/0951629811418142.",
            "file": "shared/data/bdm/eu_emissions_1994/actors.csv, a byte copy of ExampleActors.csv in "
                    "github.com/jmckib/bdm-scholz-expected-utility-model at c103e594 (no licence stated).",
        },
        "notes": ["The reference run of the bdm model on this scenario is pinned in tests/test_bdm_reference.py."],
    },
    {
        "id": "saudi-oil-price", "folder": "saudi_oil_price", "file": "actors_sultan.csv",
        "title": "Saudi oil-price decision ('Sultan' data set)",
        "issue": "oil_price", "issue_name": "Oil price, US$ per barrel", "scale": None,
        "sources": {
            "file": "shared/data/bdm/saudi_oil_price/actors_sultan.csv, a byte copy of Sultan.csv in "
                    "github.com/jmckib/bdm-scholz-expected-utility-model at c103e594 (no licence stated).",
            "origin": "Provenance not verified: probably Bueno de Mesquita's 1990s work, re-run in Eftekhari & "
                      "Rahimi (2014) 'Preana', Natural Science 6(13), doi:10.4236/ns.2014.613099.",
        },
        "notes": ["The copies disagree: MILITARY is 14.00 / salience 0.85 here but 14.10 / 0.75 in the "
                  "minimalgeek files; this moves the weighted median from 13.90 to 13.75."],
    },
    {
        "id": "greece-debt-2015", "folder": "greece_debt_2015", "file": "actors.csv",
        "title": "Greece and its creditors: debt relief and reform, July 2015 (a blogger's inputs)",
        "issue": "relief_reform", "issue_name": "Debt relief against reform", "scale": (0, 100),
        "scale_note": "0 = relief without reform, 30 = relief with half reform, 60 = relief with full reform, "
                      "80 = relief soon with full reform, 100 = no relief, full reform (SOURCE.md)",
        "observed": (100, "the third bailout (Aug 2015) came with full reform and no nominal debt relief, "
                          "about 100 on this scale (shared/data/bdm/greece_debt_2015/SOURCE.md)"),
        "sources": {
            "file": "shared/data/bdm/greece_debt_2015/actors.csv, transcribed from en/2015/07/mesquita-game-theory.md "
                    "in github.com/muratk3n/thirdwave at 0ee0d501 (no licence found). Illustrative numbers made up "
                    "by the blogger, not Bueno de Mesquita's data.",
        },
        "notes": ["The blogger's published baselines: c·s-weighted mean 82 (exactly 82.22), weighted median 100."],
    },
    {
        "id": "iran-election-2013", "folder": "iran_election_2013", "file": "actors.csv",
        "title": "Iran presidential election 2013 (8 candidates)",
        "issue": "candidate", "issue_name": "Winning candidate's position (1-10)", "scale": (1, 10),
        "scale_note": "positions 1-10 (SOURCE.md)",
        "observed": (8, "Rouhani (RUH, position 8) won in the first round (shared/data/bdm/iran_election_2013/SOURCE.md)"),
        "sources": {
            "file": "shared/data/bdm/iran_election_2013/actors.csv, a byte copy of resources/Iranian_Election.csv in "
                    "github.com/minimalgeek/BDM-Expected-Utility-Model at 6caa89b8 (no licence stated).",
            "origin": "Probably the Iran case of Eftekhari & Rahimi (2014) 'Preana', Natural Science 6(13), "
                      "doi:10.4236/ns.2014.613099 (CC BY 4.0); not verified.",
        },
        "notes": ["Codes: JAL Jalili, HAD Haddad-Adel, GHA Gharazi, REZ Rezaei, BAF Ghalibaf, VEL Velayati, "
                  "RUH Rouhani, ARE Aref."],
    },
    {
        "id": "china-democratisation", "folder": "china_dmasad", "file": "actors.csv",
        "title": "China democratisation (24 stakeholders, c. 1989-1992)",
        "issue": "democratisation", "issue_name": "Democratisation (100 = full democratisation)", "scale": (0, 100),
        "scale_note": "0-100, 100 = full democratisation (SOURCE.md)",
        "sources": {
            "file": "shared/data/bdm/china_dmasad/actors.csv, from ChinaData.csv in "
                    "github.com/dmasad/BDM_DecisionModel_Replication at 36931e64 (no licence stated).",
            "origin": "Original publication unknown; probably Bueno de Mesquita's work on China (not checked).",
        },
        "notes": ["The havenawilliams copy gives Zeming (Jiang Zemin) salience 30 instead of 50."],
    },
    {
        "id": "honduras-nicaragua", "folder": "honduras_nicaragua", "file": "actors.csv",
        "title": "Honduras-Nicaragua crisis (5 actors)",
        "issue": "crisis", "issue_name": "Crisis issue (0, 0.5, 1)", "scale": (0, 1),
        "scale_note": "positions 0, 0.5 and 1 (SOURCE.md); the issue itself is not documented",
        "sources": {
            "file": "shared/data/bdm/honduras_nicaragua/actors.csv, from HondurasCrisisData.csv in "
                    "github.com/dmasad/BDM_DecisionModel_Replication at aa3899a3 (no licence stated).",
        },
        "notes": ["Source and issue unknown; a smoke test for degenerate capabilities (the USA holds about 99.7 %)."],
    },
    {
        "id": "ww1-july-1914", "folder": "ww1_minimalgeek", "file": "WW1_BDM.csv",
        "title": "July 1914 crisis (7 great powers and Serbia)",
        "issue": "crisis", "issue_name": "0 = Serbia's side ... 1 = Austria-Hungary's", "scale": (0, 1),
        "scale_note": "0 = Serbia's side, 1 = Austria-Hungary's (SOURCE.md)",
        "sources": {
            "file": "shared/data/bdm/ww1_minimalgeek/WW1_BDM.csv, a byte copy of resources/WW1_BDM.csv in "
                    "github.com/minimalgeek/BDM-Expected-Utility-Model at 073d1b94 (no licence stated).",
            "origin": "Possibly Bueno de Mesquita's WWI chapter in The Predictioneer's Game (2009); not verified.",
        },
        "notes": ["Capabilities are raw numbers (e.g. GER 158), not shares; the models are invariant to their scale."],
    },
    {
        "id": "litigation", "folder": "litigation_minimalgeek", "file": "litigation_case_study_orig.csv",
        "title": "Corporate litigation case study (46 stakeholders)",
        "issue": "settlement", "issue_name": "Litigation outcome (0-1)", "scale": (0, 1),
        "scale_note": "positions lie in 0.25-1 (SOURCE.md); the full 0-1 range is assumed",
        "sources": {
            "file": "shared/data/bdm/litigation_minimalgeek/litigation_case_study_orig.csv, a byte copy of "
                    "'resources/Litigation Case Study_orig.csv' in github.com/minimalgeek/BDM-Expected-Utility-Model "
                    "at 37fec0b7 (no licence stated).",
            "origin": "Looks like the anonymised litigation example of The Predictioneer's Game (2009); not verified.",
        },
        "notes": ["The edited copy (litigation_case_study.csv) moves the company-side actors to 0.25."],
    },
]


def build(shared: Path, case: dict) -> Scenario:
    path = shared / "data" / "bdm" / case["folder"] / case["file"]
    base = read_actor_table(path, scale=case["scale"], issue_id=case["issue"])
    data = base.to_data()
    lo, hi = (base.issues[0].scale.min, base.issues[0].scale.max)
    observed = None
    if "observed" in case:
        observed = Quantity(value=case["observed"][0], source=case["observed"][1])
    issue = Issue(id=case["issue"], name=case["issue_name"], scale=Scale(min=lo, max=hi),
                  description=case.get("scale_note"), observed=observed)
    rel = f"shared/data/bdm/{case['folder']}/{case['file']}"
    for section in ("actors", "stances"):
        for item in data[section]:
            for key in ("capability", "position", "salience"):
                if key in item and isinstance(item[key], dict) and "source" in item[key]:
                    item[key]["source"] = item[key]["source"].replace(case["file"], rel)
    return Scenario.model_validate({
        **data,
        "id": case["id"],
        "title": case["title"],
        "sources": case["sources"],
        "notes": case["notes"] + base.notes,
        "issues": [issue.model_dump()],
    })


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared"
    for case in CASES:
        scenario = build(shared, case)
        target = OUT / f"{case['id'].replace('-', '_')}.yaml"
        write_yaml(scenario, target)
        print(f"wrote {target.relative_to(REPO)}")


if __name__ == "__main__":
    main()
