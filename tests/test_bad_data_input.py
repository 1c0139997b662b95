"""Bad data files and bad includes (issue 11): every one is a located error (exit 2), never an
internal error (exit 3) and never silently read some other way.

Each test runs the `milkrun` command (in this process through `cli`, or as the console script
through `milkrun_process`) and checks the exit code, the location file:line:column and the words
of the message."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

import milkrun
from milkrun.dsl.diagnostics import MilkrunError

from conftest import REPO

LOCATION = REPO / "models" / "location.mcp"


def data_dir(model: Path) -> Path:
    return model.with_suffix("")


def located(err: str, where: str, *words: str):
    """The error text starts with `where: error:` and holds every word."""
    first = err.splitlines()[0] if err else ""
    assert first.startswith(f"{where}: error:"), f"not located at {where}:\n{err}"
    for w in words:
        assert w in err, f"{w!r} not in:\n{err}"
    assert "internal error" not in err and "Traceback" not in err


def check(cli, model, *more):
    code, out, err = cli("check", model, *more)
    return code, err


# ------------------------------------------------------------------ encodings
def test_latin1_csv_is_located_with_its_byte_and_the_encoding_it_looks_like(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes("Plants,cap\nP1,10\nMontréal,10\n".encode("latin-1"))
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:6", "not UTF-8", "byte 0xe9", "line 3, column 6", "byte offset 22", "save it as UTF-8",
            "it looks like Latin-1", "iconv -f LATIN1 -t UTF-8")
    assert "Montr\ufffdal,10" in err  # the line is shown, the bad byte marked, nothing decoded silently


def test_windows_1252_csv_is_told_apart_from_latin1(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes("Plants,cap\nP1,10\nP2,10\n\u2018P3\u2019,5\n".encode("cp1252"))
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:4:1", "byte 0x91", "line 4, column 1", "Windows-1252")


def test_invalid_utf8_after_a_bom_and_multibyte_text_counts_characters(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes(b"\xef\xbb\xbfPlants,cap\n" + "Zürich,10\n".encode() + b"P\xff2,10\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:2", "byte 0xff", "line 3, column 2", "byte offset 26")  # 3 + 11 + 11 + 1


def test_an_excel_workbook_saved_as_csv_is_named_as_such(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb7\xacr\x9a")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:1:15", "not UTF-8", "not a CSV file", "Excel workbook", "CSV UTF-8")


def test_utf16_csv_is_an_error_not_text_with_nul_bytes(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes("Plants,cap\nP1,10\nP2,10\n".encode("utf-16-le"))  # no BOM: valid UTF-8 bytes with NULs
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:1:2", "NUL byte", "UTF-16")


def test_not_utf8_through_the_console_script(milkrun_process, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_bytes("Plants,cap\nP1,10\nMontréal,10\n".encode("latin-1"))
    proc = milkrun_process("check", plants)
    assert proc.returncode == 2
    located(proc.stderr, f"{f}:3:6", "not UTF-8", "Latin-1")


# ------------------------------------------------------------------ table shapes
def test_a_set_table_with_only_its_header(cli, plants):
    f = data_dir(plants) / "Markets.csv"
    f.write_text("Markets,demand\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:1:1", "table 'Markets' has only its header", "set Markets has no members", "set Markets = {}")


def test_a_set_table_with_its_header_and_blank_lines_only(cli, plants):
    f = data_dir(plants) / "Markets.csv"
    f.write_text("Markets,demand\n\n , \n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:1:1", "only its header")


def test_an_inline_set_table_with_only_its_header(cli, write_model):
    path = write_model('''
        set A
        var x[A] >= 0
        minimize o: sum(a in A) x[a]
        data A """
        A
        """
    ''')
    code, err = check(cli, path)
    assert code == 2
    located(err, f"{path}:5:1", "table 'A' has only its header")


def test_a_cell_over_131072_characters(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text("Plants,cap\nP1,10\nP2," + "1" * 200_000 + "\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:4", "is 200,000 characters long", "at most 131,072")
    assert max(map(len, err.splitlines())) < 1000  # the line is shown cut short


def test_a_quoted_cell_over_131072_characters(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('Plants,cap\n"P1",10\nP2,"' + "1" * 200_000 + '"\n')
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:4", "characters long", "at most 131,072")


def test_a_quote_never_closed(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('Plants,cap\nP1,10\nP2,"10\nP3,4\n')
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:4", "never closed")


def test_a_quote_never_closed_that_swallows_the_rest_of_a_long_file(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('Plants,cap\nP1,"10\n' + "P,1\n" * 40_000)
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:2:4", "characters long", "a quote that is never closed")


def test_a_short_row_is_an_error_not_a_default(cli, plants):
    # limit has `default 100`: before, the missing cell took it silently
    f = data_dir(plants) / "limits.csv"
    f.write_text("Plants,Markets,limit\nP2,M2,9\nP1,M1\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:6", "this row of table 'limits' has 2 cells, but the header has 3", "no cell for 'limit'",
            "'P1,M1,'")


def test_a_short_row_in_a_set_table(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text("Plants,cap\nP1,10\nP2\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:3", "has 1 cell, but the header has 2", "no cell for 'cap'")


def test_a_short_row_of_the_location_model_does_not_change_its_objective(cli, tmp_path):
    # Producer 3 rides a motorcycle; with its last cell cut off it would walk (rides default 0),
    # and the NPV optimum would move from 931.861 to 931.247
    model = tmp_path / "location.mcp"
    shutil.copy(LOCATION, model)
    shutil.copytree(data_dir(LOCATION), data_dir(model))
    f = data_dir(model) / "Producers.csv"
    lines = f.read_text().splitlines()
    assert lines[3].startswith("3,") and lines[3].endswith(",12,1")
    lines[3] = lines[3][:-2]
    f.write_text("\n".join(lines) + "\n")
    code, err = check(cli, model)
    assert code == 2
    located(err, f"{f}:4:{len(lines[3]) + 1}", "has 4 cells, but the header has 5", "no cell for 'rides'")


def test_a_long_row_is_an_error_not_shifted_cells(cli, plants):
    # before: pandas took the first column as an index when the first row was long
    f = data_dir(plants) / "Plants.csv"
    f.write_text("Plants,cap\nP1,10,5\nP2,10\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:2:7", "has 3 cells, but the header has 2", "decimal comma")


def test_a_long_row_after_a_quoted_cell(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('Plants,cap\n"P1",10\nP2,"1,5",3\n')
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:10", "has 3 cells, but the header has 2")


def test_blank_rows_and_quoted_cells_still_read(plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('"Plants","cap"\r\nP1,"10"\r\n\r\n , \r\n,,,\r\n"P2" , 10\r\n')
    inst = milkrun.compile_model(plants).instance
    assert list(inst.set("Plants").members) == ["P1", "P2"]
    assert inst.param("cap").sel(Plants="P2").item() == 10


def test_a_quoted_cell_over_two_lines_keeps_the_lines_of_the_rows_after_it(cli, plants):
    f = data_dir(plants) / "Plants.csv"
    f.write_text('Plants,cap\n"P\n1",10\nP2,ten\n')
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:4:4", "'ten' is not a number")


# ------------------------------------------------------------------ keys of rows that give no value
def test_an_unknown_key_in_a_row_of_empty_cells(cli, plants):
    f = data_dir(plants) / "limits.csv"
    f.write_text("Plants,Markets,limit\nP2,M2,9\nP3,M1,\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:3:1", "'P3' is not an element of Plants")


def test_an_unknown_row_key_of_a_wide_table_with_no_values(cli, plants):
    f = data_dir(plants) / "cost.csv"
    f.write_text("Plants,M1,M2\nP1,1,4\nP2,3,2\nP9,,\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:4:1", "'P9' is not an element of Plants")


def test_an_unknown_column_key_of_a_wide_table_with_no_values(cli, plants):
    f = data_dir(plants) / "cost.csv"
    f.write_text("Plants,M1,M2,M9\nP1,1,4,\nP2,3,2,\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:1:14", "'M9' is not an element of Markets")


def test_a_known_key_with_empty_cells_still_takes_the_default(plants):
    (data_dir(plants) / "limits.csv").write_text("Plants,Markets,limit\nP2,M2,9\nP1,M1,\n")
    limit = milkrun.compile_model(plants).instance.param("limit")
    assert limit.sel(Plants="P1", Markets="M1").item() == 100
    assert limit.sel(Plants="P2", Markets="M2").item() == 9


def test_a_row_of_empty_cells_gives_its_entry_so_another_table_may_not(cli, plants):
    (data_dir(plants) / "limits.csv").write_text("Plants,Markets,limit\nP2,M2,9\nP1,M1,\n")
    f = data_dir(plants) / "more.csv"
    f.write_text("Plants,Markets,limit\nP1,M1,5\n")
    code, err = check(cli, plants)
    assert code == 2
    located(err, f"{f}:2:7", "parameter 'limit' is given twice for (P1, M1)", "limits.csv:3:7")


# ------------------------------------------------------------------ data folder entries
def test_a_folder_named_like_a_csv_file(cli, plants):
    (data_dir(plants) / "old.csv").mkdir()
    code, err = check(cli, plants)
    assert code == 2
    assert "old.csv' is a folder, not a CSV file" in err and "internal error" not in err


def test_data_that_is_a_file_not_a_folder(cli, plants):
    code, err = check(cli, plants, "--data", data_dir(plants) / "Plants.csv")
    assert code == 2
    assert "is not a folder" in err


# ------------------------------------------------------------------ includes
def include_model(write_model, include: str, name="model.mcp"):
    return write_model(f'var x >= 0\ninclude "{include}"\nminimize o: x\n', name=name)


def test_an_include_naming_a_folder(cli, write_model, tmp_path):
    (tmp_path / "parts.mcp").mkdir()
    (tmp_path / "lib").mkdir()
    for inc in ("parts.mcp", "lib/"):
        path = include_model(write_model, inc)
        code, err = check(cli, path)
        assert code == 2
        located(err, f"{path}:2:1", f'include "{inc}" names a folder', "not a file")


def test_a_bare_include_of_a_folder_beside_the_model(cli, write_model, tmp_path):
    (tmp_path / "parts").mkdir()
    path = include_model(write_model, "parts")
    code, err = check(cli, path)
    assert code == 2
    located(err, f"{path}:2:1", "no standard-library module 'parts'", 'include "parts/NAME.mcp"')


def test_a_model_that_is_a_folder(cli, tmp_path):
    code, err = check(cli, tmp_path)
    assert code == 2
    assert "is a folder, not a model file" in err and "internal error" not in err


def test_an_include_chain_1500_deep(cli, write_model, tmp_path):
    for k in range(1500):
        nxt = f'include "m{k + 1}.mcp"\n' if k + 1 < 1500 else ""
        (tmp_path / f"m{k}.mcp").write_text(f"{nxt}param p{k} default {k}\n")
    path = include_model(write_model, "m0.mcp")
    code, err = check(cli, path)
    assert code == 2
    located(err, f"{tmp_path.resolve() / 'm199.mcp'}:1:1", "includes are nested more than 200 deep",
            "model.mcp → m0.mcp → m1.mcp → …", "→ m200.mcp")


def test_an_include_chain_200_deep_is_read(write_model, tmp_path):
    for k in range(200):
        nxt = f'include "m{k + 1}.mcp"\n' if k + 1 < 200 else ""
        (tmp_path / f"m{k}.mcp").write_text(f"{nxt}param p{k} default {k}\n")
    ir = milkrun.load_model(include_model(write_model, "m0.mcp"))
    assert "p199" in ir.symbols


def test_a_diamond_of_includes_30_deep_is_read_once_per_file(write_model, tmp_path):
    # every level includes both files of the next one: 2^30 paths, 60 files
    for k in range(30):
        for s in "ab":
            nxt = f'include "a{k + 1}.mcp"\ninclude "b{k + 1}.mcp"\n' if k + 1 < 30 else ""
            (tmp_path / f"{s}{k}.mcp").write_text(f"{nxt}param {s}{k} default {k}\n")
    path = write_model('include "a0.mcp"\ninclude "b0.mcp"\nvar x >= 0\nminimize o: x\n')
    start = time.perf_counter()
    ir = milkrun.load_model(path)
    assert time.perf_counter() - start < 20
    assert {f"{s}{k}" for s in "ab" for k in range(30)} <= set(ir.symbols)


def test_a_second_include_of_the_same_file_is_a_no_op(write_model):
    write_model("set Nodes\nparam w[Nodes] default 1\n", name="parts/nodes.mcp")
    path = write_model('''
        include "parts/nodes.mcp"
        include "parts/../parts/nodes.mcp"
        var x[Nodes] >= 0
        minimize o: sum(n in Nodes) w[n] * x[n]
        data { Nodes = {a, b} }
    ''')
    assert milkrun.compile_model(path).instance.set("Nodes").members.tolist() == ["a", "b"]


def test_an_include_cycle_is_still_an_error(cli, write_model):
    write_model('include "b.mcp"\nparam y default 1\n', name="a.mcp")
    b = write_model('include "a.mcp"\nparam z default 1\n', name="b.mcp")
    path = include_model(write_model, "a.mcp")
    code, err = check(cli, path)
    assert code == 2
    located(err, f"{b.resolve()}:1:1", "'a.mcp' includes itself", "a.mcp → b.mcp → a.mcp")


SECRET = "TOP-SECRET-LINE"


@pytest.fixture
def outside(tmp_path):
    """A model in tmp_path/project, and a module beside that folder (outside its tree)."""
    (tmp_path / "project").mkdir()
    (tmp_path / "secret.mcp").write_text(f"# {SECRET}\nparam {SECRET.replace('-', '_')} default 1\nbroken {SECRET}\n")
    return tmp_path


@pytest.mark.parametrize("include", ["../secret.mcp", "../secret", "ABSOLUTE", "parts/../../secret.mcp"])
def test_an_include_outside_the_models_folder_is_refused_without_showing_it(cli, outside, include):
    if include == "ABSOLUTE":
        include = str(outside / "secret.mcp")
    model = outside / "project" / "model.mcp"
    model.write_text(f'var x >= 0\ninclude "{include}"\nminimize o: x\n')
    for args in [("check", model), ("check", model, "--json"), ("solve", model)]:
        code, out, err = cli(*args)
        assert code == 2
        assert SECRET not in out + err and SECRET.replace("-", "_") not in out + err
    code, out, err = cli("check", model)
    located(err, f"{model}:2:1", f'include "{include}" is refused', "outside the model's folder",
            "--include-path", "MILKRUN_INCLUDE_PATH")
    code, out, err = cli("check", model, "--json")
    doc = json.loads(out)
    assert doc["exit_code"] == 2 and doc["location"] == f"{model}:2:1" and "refused" in doc["message"]


def test_a_symbolic_link_out_of_the_models_folder_is_refused(cli, outside):
    parts = outside / "project" / "parts"
    parts.mkdir()
    (parts / "link.mcp").symlink_to(outside / "secret.mcp")
    model = outside / "project" / "model.mcp"
    model.write_text('var x >= 0\ninclude "parts/link.mcp"\nminimize o: x\n')
    code, out, err = cli("check", model)
    assert code == 2 and SECRET not in out + err
    located(err, f"{model}:2:1", "is refused")


def test_an_include_refused_through_the_console_script(milkrun_process, outside):
    model = outside / "project" / "model.mcp"
    model.write_text('var x >= 0\ninclude "../secret.mcp"\nminimize o: x\n')
    proc = milkrun_process("check", model)
    assert proc.returncode == 2
    assert SECRET not in proc.stdout + proc.stderr
    located(proc.stderr, f"{model}:2:1", "is refused")


def test_a_module_may_include_from_anywhere_in_the_models_folder(write_model):
    write_model("param speed default 60\n", name="common.mcp")
    write_model('include "../common.mcp"\nparam slow = speed / 2\n', name="parts/road.mcp")
    path = write_model('include "parts/road.mcp"\nvar x >= 0\nminimize o: x\n')
    assert {"speed", "slow"} <= set(milkrun.load_model(path).symbols)


def shared_library(tmp_path: Path) -> Path:
    lib = tmp_path / "shared"
    lib.mkdir()
    (lib / "fleet.mcp").write_text('include "sub/costs.mcp"\nparam trucks integer >= 0 default 3\n')
    (lib / "sub").mkdir()
    (lib / "sub" / "costs.mcp").write_text("param per_km >= 0 default 2\n")
    return lib


def test_the_include_path_parameter(outside):
    lib = shared_library(outside)
    model = outside / "project" / "model.mcp"
    model.write_text('include "fleet"\ninclude "sub/costs.mcp"\nvar x >= 0\nminimize o: per_km * x\n')
    with pytest.raises(MilkrunError) as info:
        milkrun.load_model(model)
    assert "no standard-library module 'fleet'" in info.value.message
    ir = milkrun.load_model(model, include_path=[lib])
    assert {"trucks", "per_km"} <= set(ir.symbols)
    assert float(milkrun.compile_model(model, include_path=[str(lib)]).instance.param("trucks")) == 3
    model.write_text('include "../shared/fleet.mcp"\nvar x >= 0\nminimize o: x\n')  # inside an include folder
    assert "trucks" in milkrun.load_model(model, include_path=[lib]).symbols
    model.write_text('include "../secret.mcp"\nvar x >= 0\nminimize o: x\n')  # still outside all of them
    with pytest.raises(MilkrunError) as info:
        milkrun.load_model(model, include_path=[lib])
    assert "refused" in info.value.message and "the include path" in info.value.message


def test_the_include_path_environment_variable(cli, outside, monkeypatch, tmp_path):
    lib = shared_library(outside)
    other = tmp_path / "other"
    other.mkdir()
    model = outside / "project" / "model.mcp"
    model.write_text('include "fleet"\nvar x >= 0\nminimize o: per_km * x\n')
    monkeypatch.setenv("MILKRUN_INCLUDE_PATH", f"{other}{__import__('os').pathsep}{lib}")
    code, out, err = cli("check", model)
    assert code == 0, err
    monkeypatch.setenv("MILKRUN_INCLUDE_PATH", str(tmp_path / "nowhere"))
    code, out, err = cli("check", model)
    assert code == 2
    assert "include folder" in err and "MILKRUN_INCLUDE_PATH" in err and "does not exist" in err
