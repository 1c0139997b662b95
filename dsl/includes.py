"""`include "name"`: splice a standard-library module (or a file of the model's own) into a model.

`include "geo_network"` looks in milkrun's stdlib folder, then in the include path; a name
with a path or a `.mcp` suffix is taken relative to the including file, then relative to each
folder of the include path. Included statements keep their own file in their spans, so
errors point into the module.

What may be included (docs/language.md, "Includes and the standard library"):

- only files inside the model's folder tree, the standard library, or a folder the user
  names with an include path (`include_path=[...]`, the command's `--include-path DIR`, the
  environment variable MILKRUN_INCLUDE_PATH, os.pathsep-separated). A path that leads
  elsewhere (`include "../x"`, an absolute path, a symbolic link pointing out) is refused
  before the file is opened, so nothing of it is ever shown;
- each file once: a second include of the same file is a no-op, so shared modules (a
  diamond of includes) are read once, however they are reached;
- at most MAX_DEPTH includes nested in one another; a file that includes itself is an error.

Expansion is iterative: a long chain of includes costs no Python recursion.
"""
from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .diagnostics import MilkrunError, did_you_mean
from .parser import parse_file, parse_text

STDLIB = Path(__file__).resolve().parent.parent / "stdlib"
INCLUDE_PATH_ENV = "MILKRUN_INCLUDE_PATH"
MAX_DEPTH = 200  # includes nested in one another (GCC's limit for #include)


def stdlib_modules() -> list[str]:
    return sorted(p.stem for p in STDLIB.glob("*.mcp"))


def load(path: str | Path, include_path: list[str | Path] | None = None, text: str | None = None) -> ast.Model:
    """Parse a model file and everything it includes, in order.

    `include_path`: more folders to include from (searched in order, before the folders of
    MILKRUN_INCLUDE_PATH). `text`: the model's text when it is not the file's (an editor's
    unsaved buffer); the file is then not read, and includes still resolve relative to `path`."""
    path = Path(path)
    if text is not None:
        model = parse_text(text.replace("\r\n", "\n").replace("\r", "\n"), str(path))
    elif path.is_dir():
        raise MilkrunError(f"'{path}' is a folder, not a model file",
                           hint="name the model's .mcp file")
    else:
        try:
            model = parse_file(path)
        except OSError as e:  # FileNotFoundError is the parser's own message
            raise MilkrunError(f"cannot read model file '{path}': {e.strerror or e}") from None
    resolver = _Resolver(path, include_path)
    model.statements = resolver.expand(model.statements)
    return model


def resolve_include(inc: ast.Include, including: str | Path, include_path: list[str | Path] | None = None) -> Path:
    """The file an `include` statement of the file `including` names, found as `load` finds it
    (an editor's go-to-definition); a MilkrunError when it names none or one it may not read."""
    return _Resolver(Path(including), include_path).resolve(inc, Path(including).absolute())


def include_folders(include_path: list[str | Path] | None = None) -> list[Path]:
    """The folders the user names for includes: `include_path`, then MILKRUN_INCLUDE_PATH."""
    named = [(str(d), "the include path") for d in include_path or []]
    env = os.environ.get(INCLUDE_PATH_ENV, "")
    named += [(d, INCLUDE_PATH_ENV) for d in env.split(os.pathsep) if d.strip()]
    out: list[Path] = []
    for d, where in named:
        p = Path(d).expanduser()
        if not p.is_dir():
            what = "does not exist" if not p.exists() else "is not a folder"
            raise MilkrunError(f"include folder '{d}' (from {where}) {what}",
                               hint="name existing folders to include modules from")
        p = p.resolve()
        if p not in out:
            out.append(p)
    return out


class _Resolver:
    def __init__(self, root: Path, include_path):
        self.root = root
        self.root_file = root.absolute().resolve()
        self.model_dir = root.absolute().parent.resolve()
        self._include_path = include_path
        self._folders: list[Path] | None = None

    @property
    def folders(self) -> list[Path]:
        """The include path, checked when an include first needs it."""
        if self._folders is None:
            self._folders = include_folders(self._include_path)
        return self._folders

    def allowed(self, p: Path) -> bool:
        """`p` (resolved) lies in the model's folder tree, the standard library or an include folder."""
        return any(p.is_relative_to(r) for r in [self.model_dir, STDLIB, *self.folders])

    def expand(self, statements: list) -> list:
        """The statements with every include replaced by the included file's statements, in place."""
        out: list = []
        frames = [iter(statements)]
        chain = [self.root_file]  # the files being expanded, outermost first
        seen = {self.root_file}
        while frames:
            st = next(frames[-1], None)
            if st is None:
                frames.pop()
                chain.pop()
                continue
            if not isinstance(st, ast.Include):
                out.append(st)
                continue
            p = self.resolve(st, chain[-1])
            if p in chain:
                raise MilkrunError(f"'{st.path}' includes itself (through {_chain(chain[chain.index(p):] + [p])})",
                                   st.span)
            if p in seen:
                continue  # each file once
            if len(chain) > MAX_DEPTH:
                raise MilkrunError(f"includes are nested more than {MAX_DEPTH} deep ({_chain(chain + [p])})",
                                   st.span, hint="a chain of includes this deep is almost surely a mistake; "
                                   "include the shared modules from one file instead")
            seen.add(p)
            try:
                sub = parse_file(p)
            except OSError as e:
                raise MilkrunError(f"cannot read included file '{st.path}': {e.strerror or e}", st.span) from None
            if sub.name is not None:
                raise MilkrunError(f"included module '{st.path}' has a 'model' header; modules hold declarations "
                                   "only", st.span)
            frames.append(iter(sub.statements))
            chain.append(p)
        return out

    def resolve(self, inc: ast.Include, including: Path) -> Path:
        """The resolved file an include names; refused before it is opened if it lies elsewhere."""
        target = inc.path
        if not target.strip() or "\0" in target:
            raise MilkrunError(f"include names no file: '{target}'", inc.span)
        as_path = Path(target)
        is_path = "/" in target or "\\" in target or target.endswith(".mcp") or as_path.is_absolute()
        if is_path:
            bases = [None] if as_path.is_absolute() else [including.parent, *self.folders]
            candidates = [_with_mcp(as_path if b is None else b / as_path) for b in bases]
        else:
            candidates = [(b / f"{target}.mcp", None) for b in [STDLIB, *self.folders]]
        refused = False
        folder: Path | None = None
        for k, (file, bare) in enumerate(candidates):
            r = file.absolute().resolve()
            if not self.allowed(r):
                refused = refused or k == 0  # outside: never opened, nor looked at
                continue
            if r.is_file():
                return r
            for c in (file, bare):
                if folder is None and c is not None and c.absolute().resolve().is_dir() \
                        and self.allowed(c.absolute().resolve()):
                    folder = c
        if folder is not None:
            raise MilkrunError(f"include \"{target}\" names a folder ({folder}), not a file", inc.span,
                               hint="include one .mcp file in it: include \"FOLDER/NAME.mcp\"")
        if refused:
            also = ", the include path" if self.folders else ""
            raise MilkrunError(
                f"include \"{target}\" is refused: it leads outside the model's folder ({self.model_dir}){also} "
                "and the standard library", inc.span,
                hint="milkrun includes only files in the model's folder and its subfolders, the standard library, "
                     f"and folders named with --include-path DIR or {INCLUDE_PATH_ENV}")
        if is_path:
            looked = ", ".join(str(f) for f, _ in candidates)
            raise MilkrunError(f"included file '{target}' not found (looked at {looked})", inc.span)
        beside = including.parent / target
        hint = did_you_mean(target, stdlib_modules()) or f"modules: {', '.join(stdlib_modules()) or 'none'}"
        if beside.is_dir() and self.allowed(beside.absolute().resolve()):
            hint = f"'{target}' is a folder beside the model; include a file in it: include \"{target}/NAME.mcp\""
        where = "standard-library module" if not self.folders else "module in the standard library or the include path"
        raise MilkrunError(f"no {where} '{target}'", inc.span, hint=hint)


def _with_mcp(p: Path) -> tuple[Path, Path | None]:
    """(the file an include means, the folder it may name instead): `parts/demand` means
    `parts/demand.mcp`; a name with a suffix is taken as written."""
    if p.suffix or p.name in ("", ".", ".."):
        return p, None
    return p.parent / f"{p.name}.mcp", p


def _chain(files: list[Path]) -> str:
    names = [f.name for f in files]
    if len(names) > 8:
        names = names[:3] + [f"… {len(names) - 6} more …"] + names[-3:]
    return " → ".join(names)

