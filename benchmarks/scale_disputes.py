"""Write a dispute table K times the size of a MID third-party table, for the `validate` benchmark.

Run: ``python benchmarks/scale_disputes.py OUT.csv [--times 20] [--table PATH]`` (the table
defaults to ``shared/data/mid-third-party/train.csv``). Copy k of every dispute keeps its rows
and gives the dispute a new number (the original number + k x (largest number + 1)), so the
copies are distinct disputes with the same inputs: the table measures speed and memory at the
scale of a larger data set, it is not new data.
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLE = Path(os.environ.get("TERTIUS_SHARED", HERE.parent.parent / "shared")) / "data" / "mid-third-party" / "train.csv"


def scale_disputes(table: Path, out: Path, times: int) -> int:
    """Write the scaled table to ``out`` (streamed, row by row); returns the number of rows."""
    with table.open(newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    key = header.index("dispnum")
    step = max(int(r[key]) for r in body) + 1
    written = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for k in range(times):
            for r in body:
                r2 = list(r)
                r2[key] = str(int(r[key]) + k * step)
                w.writerow(r2)
                written += 1
    tmp.replace(out)
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--times", type=int, default=20)
    ap.add_argument("--table", type=Path, default=TABLE)
    args = ap.parse_args()
    print(f"{scale_disputes(args.table, args.out, args.times):,} rows: {args.out}")


if __name__ == "__main__":
    main()
