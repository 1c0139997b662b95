"""Multi-objective 0-1 knapsack instances in the AUGMECON / pyaugmecon CSV layout, as milkrun tables.

The layout (Mavrotas and Florios 2013; the files kept in wouterbles/pyaugmecon, copied to
shared/benchmarks/multiobjective/) is three matrices with an unnamed first header cell:

- a.csv: weights, one row per resource (knapsack constraint) and one column per item;
- b.csv: capacities, one row per resource and a single column `1`;
- c.csv: objective values, one row per objective and one column per item.

`convert(src, out)` writes, for models/knapsack2.mcp and models/knapsack3.mcp:

- Items.csv, Resources.csv, Objectives.csv: the three set tables (labels as in the source);
- weight.csv: wide table, `Resources,<item>,...`, one row per resource;
- value.csv: wide table, `Objectives,<item>,...`, one row per objective;
- capacity.csv: long table, `Resources,capacity`.

The source files are only read. Values that are whole numbers are written without a decimal
part (1445.0 -> 1445); others are written as read.

    python -m milkrun.models.knapsack_tables SRC OUT
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path}: not found (expected a.csv, b.csv and c.csv in {path.parent})")
    frame = pd.read_csv(path, index_col=0, skip_blank_lines=True)
    frame = frame.dropna(how="all")
    if frame.isna().any().any():
        raise ValueError(f"{path}: empty cells")
    frame.index = [_label(v) for v in frame.index]
    frame.columns = [_label(v) for v in frame.columns]
    return frame


def _label(v) -> str:
    """A row or column label as text: 1.0 -> '1'."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v).strip()
    return str(int(f)) if f.is_integer() else repr(f)


def _number(v: float) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _write_wide(frame: pd.DataFrame, label: str, path: Path) -> None:
    lines = [",".join([label, *frame.columns])]
    lines += [",".join([str(i), *(_number(v) for v in row)]) for i, row in zip(frame.index, frame.to_numpy())]
    path.write_text("\n".join(lines) + "\n")


def _write_set(name: str, members, path: Path) -> None:
    path.write_text("\n".join([name, *map(str, members)]) + "\n")


def convert(src_dir, out_dir) -> Path:
    """Write the milkrun tables of the instance in src_dir into out_dir (created); returns out_dir."""
    src, out = Path(src_dir), Path(out_dir)
    if src.resolve() == out.resolve():
        raise ValueError("the output folder must not be the source folder (the source files are left as they are)")
    a, b, c = _read(src / "a.csv"), _read(src / "b.csv"), _read(src / "c.csv")
    if list(a.columns) != list(c.columns):
        raise ValueError(f"{src}: a.csv and c.csv list different items")
    if list(a.index) != list(b.index):
        raise ValueError(f"{src}: a.csv and b.csv list different resources")
    if b.shape[1] != 1:
        raise ValueError(f"{src / 'b.csv'}: expected one column of capacities, found {b.shape[1]}")
    out.mkdir(parents=True, exist_ok=True)
    _write_set("Items", a.columns, out / "Items.csv")
    _write_set("Resources", a.index, out / "Resources.csv")
    _write_set("Objectives", c.index, out / "Objectives.csv")
    _write_wide(a, "Resources", out / "weight.csv")
    _write_wide(c, "Objectives", out / "value.csv")
    lines = ["Resources,capacity"] + [f"{r},{_number(v)}" for r, v in zip(b.index, b.iloc[:, 0])]
    (out / "capacity.csv").write_text("\n".join(lines) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] in ("-h", "--help"):
        sys.stderr.write("usage: python -m milkrun.models.knapsack_tables SRC OUT\n"
                         "  SRC: a folder with a.csv, b.csv, c.csv (AUGMECON / pyaugmecon layout)\n"
                         "  OUT: the folder for the milkrun tables (created)\n")
        return 2
    try:
        out = convert(argv[0], argv[1])
    except (OSError, ValueError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    n_obj = len((out / "Objectives.csv").read_text().split()) - 1
    print(f"tables written to {out}/ (Items, Resources, Objectives, weight, value, capacity): "
          f"milkrun pareto models/knapsack{n_obj}.mcp --data {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
