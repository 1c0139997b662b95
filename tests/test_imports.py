"""The package's imports: no module imports itself round a loop, and no stage imports a later one.

Every `import` and `from ... import` is read from the source (those inside functions too, so a lazy
import cannot hide a loop), resolved to the module it names, and checked against the order of the
stages that compiler/__init__.py states.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ["dsl", "compiler", "models", "stdlib"]

# The stages in order: a module may import from its own stage and from earlier ones only.
STAGES = [
    "milkrun.dsl",
    "milkrun.models",  # the shipped models' names and paths (pipeline.resolve_model_path)
    "milkrun.compiler.model",
    "milkrun.compiler.data",
    "milkrun.compiler.build",
    "milkrun.compiler.passes",
    "milkrun.compiler.solve",
    "milkrun.compiler.report",
    "milkrun.compiler.pipeline",
    "milkrun.compiler.studies",
    "milkrun.compiler.api",  # the Python way in (milkrun.load, Model, Result): the studies and all below
    "milkrun",  # the package's face for Python users: compile_model, solve_model, __version__
    "milkrun.compiler.lsp",  # the language server: the pipeline's checks for editors; started by the cli
    "milkrun.compiler.cli",
]


def module_files() -> dict[str, Path]:
    out = {"milkrun": ROOT / "__init__.py"}
    for top in PACKAGE_DIRS:
        for f in (ROOT / top).rglob("*.py"):
            parts = ("milkrun",) + f.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


MODULES = module_files()


def imported(name: str, f: Path) -> set[str]:
    """The milkrun modules that `f` (module `name`) imports, wherever the import statement stands."""
    package = name if f.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from P import m` names the module P.m when m is one, else P itself
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in MODULES and "." in t:
                t = t.rpartition(".")[0]
            if t in MODULES and t != name:
                found.add(t)
    return found


GRAPH = {name: imported(name, f) for name, f in MODULES.items()}


def stage(name: str) -> int:
    """The stage a module belongs to: the longest stage name that is it or contains it."""
    return max((len(s), i) for i, s in enumerate(STAGES) if name == s or name.startswith(s + "."))[1]


def loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a loop of imports."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_imports_it_must():
    # the checker's own imports, a relative one and one inside a function
    assert "milkrun.compiler.model.ir" in GRAPH["milkrun.compiler.model.check"]
    assert "milkrun.compiler.studies.pareto.run" in GRAPH["milkrun.compiler.cli.command"]
    assert len(MODULES) > 60


def test_stages_are_found():
    assert STAGES[stage("milkrun.compiler.model.check")] == "milkrun.compiler.model"
    assert STAGES[stage("milkrun.compiler.pipeline")] == "milkrun.compiler.pipeline"
    assert STAGES[stage("milkrun")] == "milkrun"


def test_no_import_loops():
    assert loops(GRAPH) == []


def test_loop_finder_finds_a_loop():
    assert loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_stage_imports_a_later_one(name):
    later = sorted(t for t in GRAPH[name] if stage(t) > stage(name))
    assert later == [], f"{name} ({STAGES[stage(name)]}) imports later stages: {later}"


def test_every_folder_says_what_it_does_and_what_it_may_import():
    """Each folder of compiler/ is a package whose docstring says, in a few lines, what the folder does
    and what it may import (a folder without __init__.py would still import, as a namespace package)."""
    folders = [d for d in (ROOT / "compiler").rglob("*") if d.is_dir() and d.name != "__pycache__"]
    assert len(folders) >= 10
    for d in folders:
        init = d / "__init__.py"
        assert init.exists(), f"{d.relative_to(ROOT)} has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), f"{init.relative_to(ROOT)}: say what it may import"
        assert len(doc.splitlines()) <= 15, f"{init.relative_to(ROOT)}: keep it short"
