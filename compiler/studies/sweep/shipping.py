"""What a point needs, sent to workers that share no file system with the coordinator.

The coordinator reads the model, every file it includes and the data folder's CSV tables once
(`collect`) into a Bundle: their bytes by path relative to the deepest folder that holds them all,
a sha256 per file, and one digest for the whole. The standard library is not shipped: it comes with
the package, whose version every worker must share (versions.py). A task carries only `ref()`: the
digest and the relative paths of the model, the data folder and the include folders. A worker writes
the bytes once into a private temporary folder keyed by the digest, reused by every later point, and
compiles from there (`place`); it never opens the analyst's paths. Keeping the relative layout keeps
every include resolving as it did (`../lib/x.mcp` with `--include-path ../lib` included), and the data
folder where the model's run names it. The same snapshot is what manifest.json hashes, so the files a
sweep records are the files its points were solved with, even if one is edited while it runs.

How the bytes reach the workers: on Dask, a worker plugin (dask_files.py) keyed by the digest,
rather than `Client.scatter(broadcast=True)` passed to each task. The scheduler hands a registered
plugin to every worker once, to those that join later too (a worker its nanny restarted after a
crash) before they run a task, while a scattered future reaches a new worker only by a transfer
when a task asks for it and is lost with its last holder; the plugin's teardown runs when the
worker closes (or the run ends), which is when its folder is removed; and a task stays a few short
strings rather than a dependency the scheduler tracks per point. On the local pool the coordinator
writes the folder once itself, since its workers share its disk (executors.LocalExecutor): the
same tasks and the same `place` on both, at no measurable cost (docs/sweeps.md, "Performance").
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from milkrun.dsl.diagnostics import MilkrunError
from milkrun.dsl.includes import STDLIB, include_folders

ARRIVAL_WAIT = 30.0  # seconds a task waits for its files on a worker that is still receiving them


@dataclass(frozen=True)
class Bundle:
    digest: str                       # sha256 of the layout and of every file's sha256
    files: dict[str, bytes] = field(repr=False)  # relative path (posix) -> bytes
    sums: dict[str, str]              # relative path -> sha256
    model: str                        # relative path of the model file
    data: str | None                  # relative path of the data folder (None: no folder)
    include_path: tuple[str, ...]     # relative paths of the include folders a shipped file is in
    origin: str                       # the folder on the coordinator the paths are relative to
    hashes: dict                      # manifest.json's `files`: provenance.hashes of the same bytes

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.files.values())

    def ref(self) -> dict:
        """What a task carries to find its files on a worker."""
        return {"digest": self.digest, "model": self.model, "data": self.data,
                "include_path": list(self.include_path), "origin": self.origin}


def collect(model: str | Path, data_dir: str | Path | None, include_path=()) -> Bundle:
    """Read and hash, once, everything a compile of `model` with the data folder `data_dir` opens."""
    from milkrun.compiler.report.provenance import data_files, model_files, sha256

    model = Path(model).resolve()
    data = Path(data_dir).resolve() if data_dir is not None else None
    sources = model_files(model, include_path)
    shipped = [f for f in sources if not f.is_relative_to(STDLIB)]
    tables = data_files(data)
    folders = [d for d in include_folders(include_path) if any(f.is_relative_to(d) for f in shipped)]
    root = Path(os.path.commonpath([str(p) for p in
                                    [model.parent, *(f.parent for f in shipped), *([data] if data else []), *folders]]))
    files, sums = {}, {}
    for f in shipped + tables:
        rel = _rel(f, root)
        try:
            files[rel] = f.read_bytes()
        except OSError as e:
            raise MilkrunError(f"cannot read '{f}' to send it to the workers: {e.strerror or e}") from None
        sums[rel] = hashlib.sha256(files[rel]).hexdigest()
    base = model.parent
    hashes = {"model": {}, "data": {}}
    for f in sources:
        rel = _rel(f, root) if f in shipped else None
        hashes["model"][os.path.relpath(f, base)] = sums[rel] if rel else sha256(f)
    for f in tables:
        hashes["data"][f.name] = sums[_rel(data / f.name, root)]
    layout = {"model": _rel(model, root), "data": _rel(data, root) if data else None,
              "include_path": [_rel(d, root) for d in folders], "files": sorted(sums.items())}
    digest = hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()
    return Bundle(digest, files, sums, layout["model"], layout["data"], tuple(layout["include_path"]), str(root), hashes)


def _rel(p: Path, root: Path) -> str:
    rel = PurePosixPath(Path(os.path.relpath(p, root)).as_posix())
    return "." if str(rel) == "." else str(rel)


PREFIX = "milkrun-files-"


def materialise(bundle: Bundle, parent: str | None = None) -> Path:
    """The bundle's files written into a new private folder (each checked against its sha256), named
    with this process's id so that `purge_stale` knows when its writer is gone."""
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{bundle.digest[:12]}-{os.getpid()}-", dir=parent))
    try:
        for rel, data in bundle.files.items():
            parts = PurePosixPath(rel).parts
            if PurePosixPath(rel).is_absolute() or ".." in parts or not parts:
                raise MilkrunError(f"a shipped file has a path outside its folder: '{rel}'")
            if hashlib.sha256(data).hexdigest() != bundle.sums[rel]:
                raise MilkrunError(f"the shipped file '{rel}' arrived damaged (its sha256 differs)")
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if bundle.data is not None:  # a data folder with no CSV table is still the folder the run names
            folder.joinpath(*PurePosixPath(bundle.data).parts).mkdir(parents=True, exist_ok=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def purge_stale(parent: str | None = None) -> None:
    """Remove the folders `materialise` left in `parent` (the temporary folder) for processes of this
    user that are gone: a coordinator killed by SIGKILL cannot remove its local pool's copy itself."""
    base = Path(parent or tempfile.gettempdir())
    try:
        entries = list(base.glob(f"{PREFIX}*-*-*"))
    except OSError:
        return
    for d in entries:
        try:
            pid = int(d.name[len(PREFIX):].split("-")[1])
            if d.is_symlink() or not d.is_dir() or d.stat().st_uid != os.getuid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (ValueError, IndexError, OSError):
            continue  # not one of ours, or its process lives (perhaps another user's)


# ----------------------------------------------------------------- the worker's side
_LOCK = threading.Condition()
_placed: dict[str, list] = {}   # digest -> [folder, users]: the folders of this process
_refused: dict[str, str] = {}   # digest -> why this worker may not run its points


def receive(bundle: Bundle, parent: str | None = None) -> Path:
    """On a worker: the bundle's folder, written in `parent` on its first arrival (a Dask plugin's setup)."""
    with _LOCK:
        entry = _placed.get(bundle.digest)
        if entry is None:
            entry = _placed[bundle.digest] = [materialise(bundle, parent), 0]
        entry[1] += 1
        _LOCK.notify_all()
        return entry[0]


def adopt(digest: str, folder: str | Path) -> None:
    """On a local worker: the folder the coordinator wrote on the same disk (removed by the coordinator)."""
    with _LOCK:
        _placed[digest] = [Path(folder), None]
        _LOCK.notify_all()


def release(digest: str) -> None:
    """The bundle is no longer needed here (a Dask plugin's teardown): its folder goes with its last user."""
    with _LOCK:
        entry = _placed.get(digest)
        if entry is None or entry[1] is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _placed[digest]
            _refused.pop(digest, None)
            shutil.rmtree(entry[0], ignore_errors=True)


def refuse(digest: str, why: str) -> None:
    """This worker may not run the bundle's points (its packages differ from the coordinator's)."""
    with _LOCK:
        _refused[digest] = why


@dataclass(frozen=True)
class Placed:
    """A task's files on this worker."""

    folder: Path
    ref: dict

    def path(self, rel: str | None) -> str | None:
        return None if rel is None else str(self.folder.joinpath(*PurePosixPath(rel).parts))

    @property
    def fields(self) -> dict:
        """model, data and include_path as a RunOptions (or its plain dict) takes them."""
        return {"model": self.path(self.ref["model"]), "data": self.path(self.ref["data"]),
                "include_path": tuple(self.path(d) for d in self.ref["include_path"])}

    def tell(self, text: str) -> str:
        """A message with the coordinator's paths in place of this folder's, so that it says where
        the analyst's file is."""
        return text.replace(str(self.folder), self.ref["origin"]) if text else text


def place(ref: dict) -> Placed:
    """The files of a task's `ref` on this worker (waiting a little for a bundle still arriving)."""
    digest = ref["digest"]
    deadline = time.monotonic() + ARRIVAL_WAIT
    with _LOCK:
        while digest not in _placed and time.monotonic() < deadline:
            _LOCK.wait(timeout=0.5)
        if digest in _refused:
            raise MilkrunError(_refused[digest])
        entry = _placed.get(digest)
    if entry is None:
        raise MilkrunError(f"the model's files never reached worker {socket.gethostname()} "
                           f"(bundle {digest[:12]}, waited {ARRIVAL_WAIT:g} s)")
    return Placed(entry[0], ref)
