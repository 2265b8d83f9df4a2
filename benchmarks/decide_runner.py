"""Times Decide's own equal-gain model (decide-exchange-model 2025.3.1), model time only.

Run by benchmarks/bench_exchange.py and benchmarks/run_all.py with the Python 3.13 interpreter of
a virtual environment that has decide-exchange-model installed: ``decide_runner.py JOBS
[REPEAT]``, where JOBS is a JSON list of [path, rounds]; prints one JSON list, each job's minimum
model time over REPEAT runs (default 1), the statistic tertius' side of the benchmark takes too. No code of Decide is copied
here: this script only calls its public API (InputDataFile, ModelFactory, ModelLoop).
"""

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from decide.data.modelfactory import ModelFactory
from decide.data.reader import InputDataFile
from decide.model.equalgain import EqualGainModel
from decide.model.observers.observer import Observable
from decide.model.utils import ModelLoop


def model_time(path: str, rounds: int) -> float:
    random.seed(0)  # Decide breaks ties with an unseeded coin flip
    model = ModelFactory(InputDataFile.open(Path(path)))(model_klass=EqualGainModel, randomized_value=0)
    with tempfile.TemporaryDirectory() as tmp:
        loop = ModelLoop(model, Observable(model, Path(tmp)), 0)
        t = time.perf_counter()
        for _ in range(rounds):
            loop.loop()
        return time.perf_counter() - t


if __name__ == "__main__":
    jobs = json.loads(sys.argv[1])
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    print(json.dumps([min(model_time(path, rounds) for _ in range(repeat)) for path, rounds in jobs]))
