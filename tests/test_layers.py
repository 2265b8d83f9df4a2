"""The layers of the package hold: what is computed stands below what is shown.

Every import of tertius in src/ (at the top of a file or inside a function) goes down the layers
or sideways, never up, except the ones listed in UPWARD with the reason; and no modules import
each other in a loop. Layers, bottom to top, as in docs/architecture (the reference sketch):
text helpers and errors → scenario, io → the forecast contract (tertius.forecast; tertius.contract,
its former home, only re-exports it), perturbations → models → conflict, sweeps, scoring →
analysis → report → cli, notebook, web. The typed results (tertius.results: data with reprs, made
of scenario words and text helpers) sit with the forecast contract, so the analyses that build
them import down.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Each module's layer, by the longest matching prefix of its dotted name.
LAYERS = {
    "tertius.text": 0, "tertius.errors": 0, "tertius.version": 0, "tertius.seeds": 0, "tertius.resample": 0,
    "tertius.scenario": 1, "tertius.io": 1, "tertius.schemas": 1, "tertius.institutions": 1, "tertius.power": 1,
    "tertius.forecast": 2, "tertius.contract": 2, "tertius.perturb": 2, "tertius.results": 2,
    "tertius.models": 3,
    "tertius.conflict": 4, "tertius.sweeps": 4, "tertius.scoring": 4, "tertius.uncertainty": 2,
    "tertius.breakeven": 5,
    "tertius.analysis": 5,
    "tertius.report": 6,
    "tertius.cli": 7, "tertius.notebook": 7, "tertius.web": 7, "tertius": 7,
}
#: Imports that run up the layers, each with its reason.
UPWARD: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, set[str]]:
    mods: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "tertius":
                    deps.update(f"tertius.{a.name}" for a in node.names)
                elif node.module.startswith("tertius."):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("tertius."))
        mods[name] = deps
    return mods


def _graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(dep: str) -> str | None:
        while dep and dep not in mods:
            dep = dep.rpartition(".")[0]
        return dep or None

    def packages(module: str, of: str) -> set[str]:
        """The packages whose __init__ importing ``module`` runs first, except ``of``'s own."""
        parts = module.split(".")
        return {p for k in range(2, len(parts)) if (p := ".".join(parts[:k])) in mods
                and not (of == p or of.startswith(p + "."))}

    graph = {}
    for m, deps in mods.items():
        found = {r for d in deps if (r := resolve(d)) not in (None, m, "tertius")}
        graph[m] = found | {p for r in found for p in packages(r, m)}
    return graph


def layer(module: str) -> int:
    key = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return LAYERS[key]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_cycle_finder_finds_a_loop():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_modules_import_each_other_in_a_loop():
    """Importing a module runs its packages' __init__ first, so those count as imported too:
    a module that imports a sibling package's module, which imports back into the first
    package, is a loop even where no two modules name each other."""
    assert cycles(_graph()) == []


#: Imports of tertius inside functions, each with its reason: everything else is at the top.
LATE = {
    ("tertius", "tertius.conflict"): "tertius.third_parties loads the conflict package on first use (module __getattr__)",
    ("tertius", "tertius.sweeps"): "tertius.sweep loads the sweeps package on first use (module __getattr__)",
    ("tertius.cli", "tertius.web"): "the page needs the 'serve' extra: 'tertius serve' checks it, then imports",
    ("tertius.cli", "tertius.web.app"): "the page needs the 'serve' extra: 'tertius serve' checks it, then imports",
}


def test_imports_of_tertius_are_at_the_top_of_files():
    late = set()
    for path in SRC.rglob("*.py"):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                late |= {(name, node.module) for node in ast.walk(fn) if isinstance(node, ast.ImportFrom)
                         and node.module and node.module.split(".")[0] == "tertius"}
    assert late == set(LATE)


def test_every_module_has_a_layer():
    assert all(isinstance(layer(m), int) for m in _graph())


def test_imports_go_down_the_layers():
    upward = sorted((m, d) for m, deps in _graph().items() for d in deps if layer(d) > layer(m))
    assert [u for u in upward if u not in UPWARD] == [], "imports that run up the layers"
    assert len(UPWARD) <= 1



#: Functions allowed over the limit for now, with the reason; an entry no longer needed fails.
LONG: dict[tuple[str, str], str] = {}


def test_no_function_in_src_is_over_150_lines():
    long = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno is not None \
                    and node.end_lineno - node.lineno + 1 > 150:
                long.add((path.relative_to(SRC).as_posix(), node.name))
    assert long == set(LONG)
