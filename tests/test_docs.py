"""Docs that cannot go stale: the commands shown in README.md and docs/**/*.md are run, and
their documented output is compared with what milkrun prints now.

The marking convention (HTML comments, invisible when the Markdown is rendered)
---------------------------------------------------------------------------------
A mark is an HTML comment on the line(s) just before a fenced block (blank lines may stand
between them, prose may not). A fenced block whose lines start with `$ ` (a shell prompt) is a
*console block*: each `$ COMMAND` line is a command, and the lines after it, up to the next
`$ ` line, are its documented output. A command may go on over lines that end in `\\`.

    <!-- checked -->              the block's commands are run and their output compared
    <!-- checked: figures NAME -->  not run as a command (too slow, or not a command); the figures
                                  it quotes (sizes, optima) are checked by the function
                                  `figures_NAME` below, in this process: against a compile, a
                                  faster solve, or a data file committed with the docs (a run's
                                  own output files). Also allowed before a Markdown table or a
                                  paragraph (the text up to the next blank line). A function with
                                  a `folder` parameter gets the block's scratch folder (below).
    <!-- not checked: REASON -->  not run, not checked; the doc says why in its text as well
                                  (e.g. "measured on ..., 25 minutes")
    <!-- file: NAME -->           the block is the file NAME (e.g. a model shown in the doc)
    <!-- append: NAME -->         the block is added to the end of the file NAME, after a blank line
    <!-- run: COMMAND -->         a hidden setup command (must succeed; its output is not shown)
    <!-- file: NAME               a hidden file: the comment's other lines are its text
    ...
    -->

Every console block in README.md and docs/ must carry one of the first three marks
(`test_every_console_block_is_marked`), so a command cannot be added to the docs unchecked
without saying why. docs/design.md is exempt: its examples belong to the design discussion.

How a block runs
----------------
Each checked block runs in a scratch folder of its own that mirrors the repository root (every
top-level entry is a symbolic link to the repository's, and `../shared` is the repository's
neighbour `shared/`), so `milkrun solve models/transport.mcp` works as from the repository root
while the files a command writes (`results/`, `slots.lp`) stay out of the working tree. First
the `file`, `append` and `run` marks that come before the block in its document are applied, in
order (so a page shows a model once and runs it in several blocks); then the block's commands
run one after the other. A block does not see what an earlier block's commands wrote. Each
command is run by bash, with the `milkrun` console script next to sys.executable first on PATH,
COLUMNS=80, and stdout and stderr merged (as a terminal shows them). Blocks run two at a time
(MILKRUN_DOCS_WORKERS), the longest first.

How output is compared
----------------------
Line by line and exactly, after trailing spaces are dropped, except for:
  * a line `...` or `…` (alone on its line, at any indentation) stands for any number of lines,
    including none;
  * durations: a number followed by `s` or ` s` (`0.73 s`, `(linear → highs, 1.06 s)`,
    `101.39 s`) matches any duration;
  * absolute paths (`/home/ana/sites`) match any absolute path;
  * versions: `1.2.3` (three or more dotted numbers) match any version;
  * the solver's progress lines (`highs    5.2 s | best plan ...`, written to stderr every
    5 s when the output is not a terminal) are dropped from the output before comparing.
Everything else (status, objective, bound, gap, size lines, table rows, error messages,
hints) must match exactly. The exit code is checked where the doc shows it
(`...; echo "exit $?"`).
"""
from __future__ import annotations

import difflib
import functools
import inspect
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import REPO, milkrun_command

DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
EXEMPT = {REPO / "docs" / "design.md"}  # not checked: see the module docstring
SHARED = REPO.parent / "shared"
COMMAND_TIMEOUT = 180
# documents run at once (each in order, in its own scratch folder); the commands are processes
WORKERS = int(os.environ.get("MILKRUN_DOCS_WORKERS", min(2, os.cpu_count() or 1)))

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
COMMENT_START = re.compile(r"^\s*<!--(.*)$")
WILDCARD_LINE = re.compile(r"^\s*(\.\.\.|…)\s*$")
PROGRESS_LINE = re.compile(r"^\s*\w+\s+\d+\.\d s \| ")
VOLATILE = [
    (re.compile(r"(?<![\w.])/[^\s/)'\",:]+(?:/[^\s/)'\",:]*)*"), "‹path›"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\d.])"), "‹version›"),
    (re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)? ?s(?!\w)"), "‹seconds›"),
]


# --------------------------------------------------------------------------- parsing
@dataclass
class Command:
    line: int                 # line of the `$ ` in the doc
    text: str                 # the command as bash gets it
    expected: list[str]       # the documented output


@dataclass
class Step:
    doc: Path
    line: int                 # 1-based line of the block (or hidden comment) in the doc
    kind: str                 # checked, figures, not_checked, file, append, run, unmarked
    arg: str = ""             # the file name, the command, the figures name or the reason
    text: str = ""            # the block's text (dedented)
    commands: list[Command] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def _commands(text: str, first_line: int) -> list[Command]:
    out: list[Command] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            start = i
            parts = [line[2:]]
            while parts[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                parts.append(lines[i])
            out.append(Command(first_line + start, "\n".join(parts), []))
        elif out:
            out[-1].expected.append(line)
        i += 1
    for c in out:
        while c.expected and not c.expected[-1].strip():
            c.expected.pop()
    return out


def parse(doc: Path) -> list[Step]:
    """The marks and the blocks of one Markdown file, in order."""
    lines = doc.read_text(encoding="utf-8").split("\n")
    steps: list[Step] = []
    pending: tuple[int, str] | None = None   # (line, text) of a mark waiting for its block
    i = 0
    while i < len(lines):
        line = lines[i]
        m = COMMENT_START.match(line)
        if m and not FENCE.match(line):
            start = i
            body = m.group(1)
            while "-->" not in body and i + 1 < len(lines):
                i += 1
                body += "\n" + lines[i]
            body = body.split("-->", 1)[0]
            head, _, rest = body.strip("\n").partition("\n")
            head = head.strip()
            if rest.strip() and head.startswith("file:"):          # a hidden file, dedented like its comment
                indent = len(line) - len(line.lstrip())
                text = "\n".join(r[indent:] if r[:indent].strip() == "" else r for r in rest.rstrip("\n").split("\n"))
                steps.append(Step(doc, start + 1, "file", head[5:].strip(), text + "\n"))
            elif head.startswith("run:"):
                steps.append(Step(doc, start + 1, "run", head[4:].strip()))
            elif re.match(r"(checked|not checked|file:|append:)", head):
                pending = (start + 1, head)
            i += 1
            continue
        f = FENCE.match(line)
        if f:
            indent, fence = f.group(1), f.group(2)
            j = i + 1
            body_lines = []
            while j < len(lines) and not (lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""):
                body_lines.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
                j += 1
            text = "\n".join(body_lines) + "\n"
            step = Step(doc, i + 1, "unmarked", text=text)
            if pending is not None:
                kind, arg = _mark(pending[1])
                step.kind, step.arg = kind, arg
                pending = None
            step.commands = _commands(text, i + 2)
            if step.kind != "unmarked" or step.commands:
                steps.append(step)
            i = j + 1
            continue
        if line.strip() and pending is not None:
            kind, arg = _mark(pending[1])
            if kind == "figures":   # a table or a paragraph: up to the next blank line
                j = i
                while j < len(lines) and lines[j].strip():
                    j += 1
                steps.append(Step(doc, i + 1, kind, arg, "\n".join(lines[i:j]) + "\n"))
                pending = None
                i = j
                continue
            raise AssertionError(f"{doc.relative_to(REPO)}:{pending[0]}: the mark '{pending[1]}' is not followed "
                                 f"by a fenced block")
        i += 1
    return steps


def _mark(head: str) -> tuple[str, str]:
    if head == "checked":
        return "checked", ""
    if head.startswith("checked: figures"):
        return "figures", head[len("checked: figures"):].strip()
    if head.startswith("not checked"):
        return "not_checked", head.partition(":")[2].strip()
    if head.startswith("file:"):
        return "file", head[5:].strip()
    if head.startswith("append:"):
        return "append", head[7:].strip()
    raise AssertionError(f"unknown mark: {head}")


ALL_STEPS = {doc: parse(doc) for doc in DOCS}
CHECKED = [s for doc in DOCS for s in ALL_STEPS[doc] if s.kind == "checked"]
FIGURE_STEPS = [s for doc in DOCS for s in ALL_STEPS[doc] if s.kind == "figures"]


# --------------------------------------------------------------------------- comparing
def normalise(line: str) -> str:
    line = line.rstrip()
    for pattern, token in VOLATILE:
        line = pattern.sub(token, line)
    return line


def matches(expected: list[str], actual: list[str]) -> bool:
    pattern = "".join(r"(?:[^\n]*\n)*?" if WILDCARD_LINE.match(e) else re.escape(normalise(e)) + r"\n"
                      for e in expected)
    text = "".join(normalise(a) + "\n" for a in actual)
    return re.fullmatch(pattern, text) is not None


# --------------------------------------------------------------------------- running
def shell_env(root: Path) -> dict[str, str]:
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "milkrun"
    script.write_text("#!/bin/sh\nexec " + " ".join(f"'{p}'" for p in milkrun_command()) + ' "$@"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MILKRUN_") and k != "LINES"}
    env.update(PATH=f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               COLUMNS="80", LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
    return env


def shell(command: str, cwd: Path, env: dict[str, str]) -> str:
    assert "../shared" not in command or SHARED.is_dir(), f"the benchmark files in {SHARED} are not there"
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT).stdout


def run_block(step: Step, root: Path) -> list[tuple[Command, str]]:
    """A checked block in a scratch folder of its own that mirrors the repository root, after
    the file, append and run marks that come before it in its document."""
    cwd, env = prepare(step, root)
    return [(c, shell(c.text, cwd, env)) for c in step.commands]


def prepare(step: Step, root: Path) -> tuple[Path, dict[str, str]]:
    """The scratch folder of a block, with the marks before it applied: (folder, environment)."""
    cwd = root / "repo"
    cwd.mkdir(parents=True)
    for entry in REPO.iterdir():
        if entry.name not in {".git", "__pycache__"}:
            (cwd / entry.name).symlink_to(entry)
    if SHARED.is_dir():
        (root / "shared").symlink_to(SHARED)
    env = shell_env(root)
    steps = ALL_STEPS[step.doc]
    for s in steps[:steps.index(step)]:
        if s.kind == "file":
            (cwd / s.arg).parent.mkdir(parents=True, exist_ok=True)
            (cwd / s.arg).write_text(s.text)
        elif s.kind == "append":
            with (cwd / s.arg).open("a") as fh:
                fh.write("\n" + s.text)
        elif s.kind == "run":
            proc = subprocess.run(["bash", "-c", s.arg], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
            assert proc.returncode == 0, f"{s.id}: setup `{s.arg}` failed:\n{proc.stdout}"
    return cwd, env


def cost(step: Step) -> int:
    """Longest first: a rough guess of a block's time, to share the blocks out evenly."""
    return sum(5 if "solve" in c.text or "pareto" in c.text else 1 for c in step.commands if "milkrun" in c.text)


@pytest.fixture(scope="module")
def blocks(request, tmp_path_factory):
    """The selected checked blocks run WORKERS at a time (each in its own folder), started when
    the first test asks; each test then waits for its own block's output."""
    selected = [item.callspec.params["step"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_documented_output" and hasattr(item, "callspec")]
    pool = ThreadPoolExecutor(max_workers=WORKERS)
    futures = {id(s): pool.submit(run_block, s, tmp_path_factory.mktemp(s.doc.stem))
               for s in sorted(selected, key=cost, reverse=True)}
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("step", CHECKED, ids=[s.id for s in CHECKED])
def test_documented_output(step, blocks):
    assert step.commands, f"{step.id}: a block marked checked has no `$ ` command"
    failures = []
    for command, output in blocks[id(step)].result():
        actual = [line for line in output.rstrip("\n").split("\n") if not PROGRESS_LINE.match(line)]
        if output == "":
            actual = []
        if not matches(command.expected, actual):
            diff = "\n".join(difflib.unified_diff([normalise(e) for e in command.expected],
                                                  [normalise(a) for a in actual], "documented", "printed now",
                                                  lineterm=""))
            failures.append(f"{step.doc.relative_to(REPO)}:{command.line}: $ {command.text}\n{diff}\n"
                            f"--- the whole output, to paste:\n{output}")
    assert not failures, "\n\n".join(failures)


# --------------------------------------------------------------------------- the rules
def test_every_console_block_is_marked():
    unmarked = [s.id for doc in DOCS if doc not in EXEMPT for s in ALL_STEPS[doc]
                if s.kind in ("unmarked", "file", "append") and s.commands]
    assert not unmarked, ("console blocks without <!-- checked -->, <!-- checked: figures NAME --> or "
                          f"<!-- not checked: REASON -->: {unmarked}")


def test_not_checked_blocks_say_why():
    silent = [s.id for doc in DOCS for s in ALL_STEPS[doc] if s.kind == "not_checked" and not s.arg]
    assert not silent, f"<!-- not checked --> needs a reason: {silent}"


# A path the docs name (quoted or plain, in prose, tables and code blocks): it starts with one of
# the repository's folders (`compiler/solve/run.py`, `models/transport/`, `tests/test_vrp.py`), or
# with a folder of compiler/ (`passes/fix.py`, read under compiler/), or is a file by its name
# alone in backticks (`knapsack_tables.py`). Python names (`milkrun.compiler.studies.twin.run_twin`)
# must import. Links between pages (`models/location.md` in docs/) are read from the page's folder.
NAMED_FOLDERS = ("compiler", "dsl", "models", "stdlib", "benchmarks", "tests", "editors")
COMPILER_FOLDERS = sorted(p.name for p in (REPO / "compiler").iterdir() if (p / "__init__.py").is_file())
NAMED_PATH = re.compile(rf"(?<![\w./~-])((?:{'|'.join(NAMED_FOLDERS)})/[\w.*/-]*)")
COMPILER_PATH = re.compile(rf"(?<![\w./~-])((?:{'|'.join(COMPILER_FOLDERS)})/[\w/-]*\.py)(?![\w/])")
BARE_FILE = re.compile(r"`(\w+\.py)`")
PYTHON_NAME = re.compile(r"(?<![\w./-])((?:milkrun\.)?compiler(?:\.\w+)+|milkrun(?:\.\w+)+)")
# Not paths but patterns, each used by the docs on purpose (the reason says where and why).
NAMED_PATH_PATTERNS = {
    "models/NAME/": "README.md: the data folder of any shipped model (`models/NAME/` for `models/NAME.mcp`)",
}
# Dotted names that look like Python names but are not (the reason says where and what they are).
NOT_PYTHON_NAMES = {
    "milkrun.server.command": "docs/editors.md: the VS Code extension's setting (editors/vscode/package.json)",
}


def _python_name_exists(name: str) -> bool:
    """`milkrun.a.b.c`: the longest prefix that is a module (a file, not an empty folder), then attributes."""
    import importlib

    parts = ("milkrun." + name if not name.startswith("milkrun") else name).split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        if getattr(obj, "__file__", None) is None:  # a namespace package: a folder left without modules
            return False
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_paths_named_in_docs_exist():
    file_names = {p.name for folder in NAMED_FOLDERS for p in (REPO / folder).rglob("*.py")}
    file_names |= {p.name for p in REPO.glob("*.py")}
    for pattern, reason in NAMED_PATH_PATTERNS.items():  # a pattern must still match something
        assert list(REPO.glob(pattern.replace("NAME", "*"))), f"{pattern} ({reason}) matches nothing"
    missing = []
    for doc in DOCS:
        where = doc.relative_to(REPO)
        for number, line in enumerate(doc.read_text(encoding="utf-8").split("\n"), 1):
            for m in NAMED_PATH.finditer(line):
                path = m.group(1).rstrip(".,:;")
                if path in NAMED_PATH_PATTERNS:
                    continue
                found = (REPO / path).exists() or (path.endswith(".md") and (doc.parent / path).exists())
                if not found:
                    missing.append(f"{where}:{number}: {path}")
            for m in COMPILER_PATH.finditer(line):
                if not (REPO / "compiler" / m.group(1)).is_file():
                    missing.append(f"{where}:{number}: {m.group(1)} (read as compiler/{m.group(1)})")
            for m in BARE_FILE.finditer(line):
                if m.group(1) not in file_names:
                    missing.append(f"{where}:{number}: {m.group(1)} (no file of that name)")
            for m in PYTHON_NAME.finditer(line):
                if m.group(1) not in NOT_PYTHON_NAMES and not _python_name_exists(m.group(1)):
                    missing.append(f"{where}:{number}: {m.group(1)} (does not import)")
    assert not missing, "the docs name paths that do not exist:\n" + "\n".join(missing)


def test_every_figures_mark_has_its_check_and_back():
    names = [s.arg for s in FIGURE_STEPS]
    missing = [n for n in names if f"figures_{n}" not in globals()]
    unused = [n[len("figures_"):] for n in globals() if n.startswith("figures_") and n[len("figures_"):] not in names]
    assert not missing and not unused, f"no function figures_NAME for {missing}; functions without a mark: {unused}"


@pytest.mark.parametrize("step", FIGURE_STEPS, ids=[f"{s.id}:{s.arg}" for s in FIGURE_STEPS])
def test_documented_figures(step, tmp_path):
    check = globals()[f"figures_{step.arg}"]
    if "folder" in inspect.signature(check).parameters:  # it needs the files the page wrote so far
        check(step.text, folder=prepare(step, tmp_path)[0])
    else:
        check(step.text)


def test_the_marks_are_read():
    """The parser itself, on a small document."""
    doc = REPO / "tests" / "_docs_sample.md"
    steps = parse_text("""
<!-- file: m.mcp -->
```
var x >= 0
```

<!-- checked -->
```
$ milkrun check m.mcp \\
    --quiet
m: ok
...
$ echo hi
hi
```
<!-- not checked: takes an hour -->
```
$ milkrun sweep big
```
<!-- run: cp m.mcp n.mcp -->
""", doc)
    assert [s.kind for s in steps] == ["file", "checked", "not_checked", "run"]
    assert steps[0].arg == "m.mcp" and steps[0].text == "var x >= 0\n"
    c = steps[1].commands
    assert [x.text for x in c] == ["milkrun check m.mcp \\\n    --quiet", "echo hi"]
    assert c[0].expected == ["m: ok", "..."] and c[1].expected == ["hi"]
    assert steps[2].arg == "takes an hour" and steps[3].arg == "cp m.mcp n.mcp"
    assert matches(["m: optimal (linear → highs, 0.73 s)", "...", "end"],
                   ["m: optimal (linear → highs, 12.5 s)", "a", "b", "end"])
    assert matches(["error: cannot read /home/ana/x.csv"], ["error: cannot read /tmp/p/x.csv"])
    assert not matches(["  objective c (minimise): 153.675"], ["  objective c (minimise): 153.676"])
    assert not matches(["size: 383 variables, 399 constraints"], ["size: 671 variables, 495 constraints"])


def parse_text(text: str, doc: Path) -> list[Step]:
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"milkrun_docs_sample_{os.getpid()}.md"
    tmp.write_text(text)
    try:
        steps = parse(tmp)
    finally:
        tmp.unlink()
    for s in steps:
        s.doc = doc
    return steps


# --------------------------------------------------------------------------- figures of slow runs
# Each `<!-- checked: figures NAME -->` block is checked by `figures_NAME(text)`, in this process
# (no process start-up per command): model sizes by compiling the model, optima by a faster
# solve (usually SCIP with lazy tour cuts) or, for measurements that take minutes, against a data
# file committed beside the doc.
NUMBER = r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?"


def num(text: str) -> float:
    return float(text.replace(",", ""))


def same(quoted: float, value: float, digits: int = 6) -> bool:
    """A figure as milkrun prints it (6 significant digits) against the value computed now."""
    if value == 0:
        return quoted == 0
    unit = 10 ** (math.floor(math.log10(abs(value))) - digits + 1)  # the last digit printed
    return abs(quoted - value) <= 0.5 * unit * (1 + 1e-9)


@functools.lru_cache(maxsize=None)
def compiled_size(model: str, tour: str | None = None, overrides: tuple = (), data: str | None = None) -> tuple[int, int]:
    from milkrun import compile_model

    c = compile_model(REPO / model, data=REPO / data if data else None, overrides=list(overrides), tour_method=tour)
    return int(c.linopy.nvars), int(c.linopy.ncons)


@functools.lru_cache(maxsize=None)
def solved(model: str, solver: str = "scip", overrides: tuple = (), objective: str | None = None):
    from milkrun import solve_model

    r = solve_model(REPO / model, overrides=list(overrides), solver=solver, objective=objective)
    assert r.status == "optimal", f"{model} {overrides}: {r.status}"
    return r


def optimum(model: str, solver: str = "scip", overrides: tuple = (), objective: str | None = None) -> float:
    return float(solved(model, solver, overrides, objective).objective)


def quoted(pattern: str, text: str) -> list:
    found = re.findall(pattern, text, re.M)
    assert found, f"nothing like {pattern!r} in:\n{text}"
    return found


def check_size(text: str, model: str, tour: str | None = None, overrides: tuple = ()) -> None:
    for v, c in quoted(rf"({NUMBER}) variables, ({NUMBER}) constraints", text):
        assert (num(v), num(c)) == compiled_size(model, tour, overrides), f"{model} --tour {tour} {overrides}"


def figures_routing_highs(text):
    """The HiGHS run, by the same solve in this process: its optimum, its size (the flow rows) and
    its route lengths."""
    r = solved("models/routing.mcp", "highs")
    (obj,) = quoted(rf"objective distance \(minimise\): ({NUMBER})", text)
    assert same(num(obj), r.objective) and same(r.objective, optimum("models/routing.mcp"))
    (v, c) = quoted(rf"size: ({NUMBER}) variables, ({NUMBER}) constraints", text)[0]
    assert (num(v), num(c)) == (r.size["variables"], r.size["constraints"]) == compiled_size("models/routing.mcp", "flow")
    km = r.kpis["route_km"]
    table = text[text.index("route_km"):]
    for k, value in quoted(rf"^ (\d+) │ +({NUMBER})$", table):
        assert same(num(value), float(km.sel(k=int(k)))), k
    for k, stops in quoted(r"route routes\[(\d+)\]: ([\d →]+)$", text):
        assert float(km.sel(k=int(k))) > 0, k


def figures_routing_tour_sizes(text):
    """Each (model, method) row's size, compiled that way: the shipped edges and the paper's arcs."""
    models = {"edges": "models/routing.mcp", "arcs": "tests/models/routing_paper.mcp"}
    rows = {(form, m): (num(v), num(c)) for form, m, v, c in
            re.findall(rf"\| (edges|arcs)[^|]*\| `(\w+)`[^|]*\| ({NUMBER}) variables, ({NUMBER}) constraints \|", text)}
    assert set(rows) == {("edges", "lazy"), ("edges", "flow"), ("arcs", "lazy"), ("arcs", "mtz"), ("arcs", "flow")}, rows
    for (form, method), size in rows.items():
        assert size == compiled_size(models[form], method, data="models/routing"), (form, method)


def figures_knapsack2_front(text):
    """Against the published front and payoff table of 2kp50 (the instance models/knapsack2/ ships)."""
    bench = SHARED / "benchmarks" / "multiobjective" / "2kp50"
    assert bench.is_dir(), f"the published front in {bench} is not there"

    def rows(name):
        return [tuple(int(x) for x in line.split(",")[1:]) for line in (bench / name).read_text().split()[1:]]

    front, payoff = rows("pareto_sols.csv"), rows("payoff_table.csv")
    (n,) = quoted(r"(\d+) Pareto point\(s\)", text)
    assert int(n) == len(front)
    assert [(num(a), num(b)) for a, b in quoted(rf"^ +z\d +│ +({NUMBER}) │ +({NUMBER})$", text)] == payoff
    points = [(int(k), num(a), num(b)) for k, a, b in quoted(rf"^ +(\d+) │ +({NUMBER}) │ +({NUMBER})$", text)]
    assert [(a, b) for _, a, b in points] == front[:len(points)] and [k for k, _, _ in points] == list(range(1, len(points) + 1))


# the location model's runs take 5 s to minutes each: their optima are recorded, run by run, in
# docs/models/location_optima.csv (command line changes, solver, objective, optimum, seconds)
LOCATION_DOCS = REPO / "docs" / "models"


def location_optima() -> dict[tuple[str, str], list[float]]:
    import csv

    runs: dict[tuple[str, str], list[float]] = {}
    with (LOCATION_DOCS / "location_optima.csv").open() as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            runs.setdefault((row["changes"], row["objective"]), []).append(float(row["optimum"]))
    return runs


def recorded(changes: str, objective: str, quoted_value: float, digits: int = 6) -> None:
    found = location_optima().get((changes, objective))
    assert found, f"no run '{changes}' optimising {objective} in location_optima.csv"
    assert all(same(quoted_value, v, digits) for v in found), f"{changes} {objective}: {quoted_value} against {found}"


def figures_location_run(text):
    check_size(text, "models/location.mcp")
    from test_shipped_models import EXPECTED

    npv, co2 = (num(x) for x in quoted(rf"objective (?:npv|co2) \(m\w+\): ({NUMBER})", text))
    assert same(npv, EXPECTED["location"][0])
    recorded("", "npv", npv)
    recorded("", "co2", co2)


def figures_location_epsilon(text):
    for limit, value in quoted(rf"co2_limit=({NUMBER}).*\n\s+objective npv \(maximise\): ({NUMBER})", text):
        recorded(f"co2_limit={limit}", "npv", num(value))


def figures_location_optima(text):
    rows = quoted(rf"^\| ([\d,]+) \(π\d\) \| (npv|co2) \| \*\*({NUMBER})\*\*", text)
    assert len(rows) == 8, rows
    for y, objective, value in rows:
        changes = "" if y == "3,000" else f"yield_per_cow={num(y):.0f}"
        recorded(changes, objective, num(value), digits=len(value.replace(",", "").replace(".", "").lstrip("0")))


def figures_location_front_1800(text):
    import csv

    folder = LOCATION_DOCS / "location_front_1800"
    front = list(csv.DictReader((folder / "front.csv").open()))
    payoff = {row["optimised first"]: row for row in csv.DictReader((folder / "payoff.csv").open())}
    (n,) = quoted(r"(\d+) Pareto point\(s\)", text)
    assert int(n) == len(front)
    for name, a, b in quoted(rf"^ (npv|co2) +│ +({NUMBER}) │ +({NUMBER})$", text):
        assert same(num(a), float(payoff[name]["npv"])) and same(num(b), float(payoff[name]["co2"])), name
    points = quoted(rf"^ +(\d+) │ +({NUMBER}) │ +({NUMBER})$", text)
    assert len(points) == len(front)
    for (k, a, b), row in zip(points, front):
        assert int(k) == int(row["point"]) and same(num(a), float(row["npv"])) and same(num(b), float(row["co2"])), k


def figures_location_twin(text):
    import csv

    rows = {r["figure"]: r for r in csv.DictReader((LOCATION_DOCS / "location_twin.csv").open())}
    table = {cells[0]: cells[1:4] for cells in
             (list(map(str.strip, line.strip("|").split("|"))) for line in text.split("\n")[2:] if line.startswith("|"))}
    scale = {"NPV (M COP)": ("npv", 1), "utilisation (% of installed)": ("utilisation", 1),
             "cost per litre (COP/L)": ("cost_per_litre", 1), "cooling (M COP/year)": ("cooling", 1e6),
             "mean distance (km)": ("mean_km", 1), "CO₂ (kg/year)": ("co2", 1)}
    assert set(table) == set(scale), table
    for label, cells in table.items():
        figure, unit = scale[label]
        for column, cell in zip(("baseline", "fixed", "adjusted"), cells):
            digits = len(cell.replace(",", "").replace(".", "").lstrip("0"))
            assert same(num(cell), float(rows[figure][column]) / unit, digits), (label, column, cell)


def figures_data_set(text, folder):
    """The optima quoted beside the --set examples of docs/data.md, on plan.mcp as the page writes it."""
    from milkrun import solve_model

    for change, values in quoted(r"--set (\S+) +# [^\n]*?((?:[\d.]+ instead of )?[\d.]+)$", text):
        value = num(re.findall(NUMBER, values)[0])
        r = solve_model(folder / "plan.mcp", overrides=[change.strip("'")])
        assert r.status == "optimal" and same(value, r.objective), (change, value, r.objective)


def figures_readme_model(text):
    """The README's listing of the shipped transport model is the file itself."""
    assert text == (REPO / "models" / "transport.mcp").read_text(), "README.md shows another models/transport.mcp"


def figures_rounds_tours(text, folder):
    """docs/language.md: the size of rounds.mcp with each tour method, by compiling it in this process."""
    from milkrun import compile_model

    runs = quoted(rf"--tour (\w+)\n(?:.*\n)*?  ({NUMBER}) variables, ({NUMBER}) constraints", text)
    assert [m for m, _, _ in runs] == ["lazy", "mtz", "flow"]
    for method, v, c in runs:
        compiled = compile_model(folder / "rounds.mcp", tour_method=method)
        assert (num(v), num(c)) == (compiled.linopy.nvars, compiled.linopy.ncons), method


def figures_farm_tanks_farms(text):
    """docs/models/farm_tanks.md: each farm's data as milkrun computes it, and its fewest visits a
    week as tests/test_farm_tanks.py finds them by trying every weekly pattern."""
    from test_farm_tanks import PATTERNS, ROUND_TRIP

    from milkrun import compile_model

    instance = compile_model(REPO / "models" / "farm_tanks.mcp").instance
    supply = instance.param("supply").sum("Types")
    produced, tank, km = (instance.param(n) for n in ("produced", "tank_capacity", "round_trip"))
    rows = quoted(rf"^\| (\d+) \| ({NUMBER}) \| ({NUMBER}) \| ({NUMBER}) \| (\d+) \| ({NUMBER}) \| (\d+) \|$", text)
    assert sorted(int(r[0]) for r in rows) == sorted(int(f) for f in PATTERNS)
    for farm, pickup, daily, size, days, trip, fewest in rows:
        f = int(farm)
        assert num(pickup) == float(supply.sel(Farms=f)), farm
        assert num(daily) == float(produced.sel(f=f)), farm
        assert num(size) == float(tank.sel(Farms=f)), farm
        assert int(days) == math.floor(float(tank.sel(Farms=f)) / float(produced.sel(f=f))), farm
        assert num(trip) == round(float(km.sel(f=f)), 2), farm
        assert int(fewest) == round(PATTERNS[farm][0][0] / ROUND_TRIP[farm]), farm


def figures_farm_tanks_week(text):
    """docs/models/farm_tanks.md: the litres collected per farm and day in the plan HiGHS finds."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    collected = solved("models/farm_tanks.mcp", "highs").solution["collected"].fillna(0.0)
    rows = quoted(r"^\| (\d+) \|(.*)\|$", text)
    assert sorted(int(f) for f, _ in rows) == sorted(int(f) for f in collected.coords["f"].values)
    for farm, cells in rows:
        cells = [c.strip() for c in cells.split("|")]
        assert len(cells) == len(days), farm
        for day, cell in zip(days, cells):
            value = float(collected.sel(f=int(farm), d=day))
            assert (same(num(cell), value) if cell else abs(value) < 1e-6), (farm, day, cell, value)
