"""`milkrun lsp`, driven as an editor drives it: a separate process spoken to over stdin and stdout in
JSON-RPC with Content-Length framing (written here, not taken from a client library), every wait
bounded, and the process ended by the test.

Positions in LSP are 0-based lines and UTF-16 code units; milkrun's are 1-based lines and columns in
characters, so the models below put a character outside the Basic Multilingual Plane (🐄, two UTF-16
units) before an error on its line.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import dedent, milkrun_command

TIMEOUT = 60  # seconds any one answer may take (the server imports the compiler first: a few seconds)


class Client:
    """A minimal LSP client: requests wait for their answer; notifications from the server are kept."""

    def __init__(self, cwd: Path, command: list[str] | None = None):
        self.stderr = open(cwd / "server-stderr.txt", "w+b")
        self.proc = subprocess.Popen(command or [*milkrun_command(), "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, cwd=cwd)
        self.inbox: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(out.read(length).decode("utf-8")))

    def send(self, message: dict):
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict | None = None):
        self.send({"method": method, **({"params": params} if params is not None else {})})

    def _next(self, deadline: float) -> dict:
        try:
            message = self.inbox.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise AssertionError(f"no answer from the server in time; it wrote:\n{self.server_stderr()}") from None
        if message is None:
            raise AssertionError(f"the server closed its output (exit {self.proc.poll()}):\n{self.server_stderr()}")
        if "method" in message and "id" in message:  # a request from the server: answer it plainly
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    def request(self, method: str, params: dict | None = None):
        self.next_id += 1
        mine = self.next_id
        self.send({"id": mine, "method": method, **({"params": params} if params is not None else {})})
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._next(deadline)
            if message.get("id") == mine and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")

    def wait_for(self, method: str, where=lambda params: True) -> dict:
        """The next notification `method` whose params satisfy `where` (those already received first)."""
        for k, n in enumerate(self.notifications):
            if n["method"] == method and where(n["params"]):
                del self.notifications[: k + 1]
                return n["params"]
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._next(deadline)
            if message.get("method") == method and "id" not in message and where(message["params"]):
                self.notifications.remove(message)
                return message["params"]

    def diagnostics(self, uri: str, where=lambda diagnostics: True) -> list[dict]:
        return self.wait_for("textDocument/publishDiagnostics",
                             lambda p: p["uri"] == uri and where(p["diagnostics"]))["diagnostics"]

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.absolute().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "milkrun", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def server_stderr(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-4000:]

    def close(self):
        """shutdown and exit, as an editor ends the session; then the process must be gone."""
        try:
            if self.proc.poll() is None:
                assert self.request("shutdown") is None
                self.notify("exit")
                self.proc.wait(timeout=TIMEOUT)
            return self.proc.returncode
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=TIMEOUT)
            self.stderr.close()


def initialize(client: Client, root: Path) -> dict:
    result = client.request("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "clientInfo": {"name": "test_lsp"},
        "capabilities": {"textDocument": {
            "hover": {"contentFormat": ["markdown", "plaintext"]},
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
            "publishDiagnostics": {"relatedInformation": True}}}})
    client.notify("initialized", {})
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("lsp")
    client = Client(root)
    client.root = root
    client.capabilities = initialize(client, root)["capabilities"]
    yield client
    assert client.close() == 0


SHOP = dedent("""
    model shop "a misspelt name"

    set Farms = {a, b}
    param milk[Farms] >= 0 default 1     "litres a day"
    var take[Farms] >= 0                 "litres taken"
    minimize cost: sum(f) take[f]
    subject to
      enough[f in Farms]: take[f] >= mlik[f]
    kpi per_cow "🐄 per cow": sum(f) take[f]
""")
MISSPELT = (7, SHOP.split("\n")[7].index("mlik"))  # 0-based line and character (no wide character before it)


def position(text: str, line: int, needle: str, after: str = "") -> dict:
    """The LSP position of `needle` on a 0-based line (after `after`), in UTF-16 code units."""
    row = text.split("\n")[line]
    index = row.index(needle, row.index(after) + len(after) if after else 0)
    return {"line": line, "character": len(row[:index].encode("utf-16-le")) // 2}


def test_initialize_names_the_features(server):
    caps = server.capabilities
    assert caps["hoverProvider"] and caps["definitionProvider"] and caps["documentSymbolProvider"]
    assert "completionProvider" in caps
    assert caps.get("positionEncoding", "utf-16") == "utf-16"


def test_a_misspelt_name_is_one_diagnostic_with_the_hint_then_a_fix_clears_it(server):
    path = server.root / "shop.mcp"
    path.write_text(SHOP, encoding="utf-8")
    uri = server.open(path)
    [d] = server.diagnostics(uri)
    assert d["range"]["start"] == {"line": MISSPELT[0], "character": MISSPELT[1]}
    assert d["range"]["end"] == {"line": MISSPELT[0], "character": MISSPELT[1] + len("mlik[f]")}  # as the CLI underlines
    assert d["severity"] == 1 and d["source"] == "milkrun"
    assert d["message"] == "unknown name 'mlik'\nhint: did you mean 'milk'?"
    # the same message the command line prints for the file
    cli = subprocess.run([*milkrun_command(), "check", str(path)], capture_output=True, text=True, timeout=120)
    assert f"shop.mcp:{MISSPELT[0] + 1}:{MISSPELT[1] + 1}: error: unknown name 'mlik'" in cli.stderr
    assert "hint: did you mean 'milk'?" in cli.stderr

    start = {"line": MISSPELT[0], "character": MISSPELT[1]}
    end = {"line": MISSPELT[0], "character": MISSPELT[1] + 4}
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"range": {"start": start, "end": end},
                                                                 "text": "milk"}]})
    assert server.diagnostics(uri) == []


def test_columns_are_utf16_code_units(server):
    # 🐄 is one character for milkrun, two UTF-16 code units for the editor
    text = SHOP.replace("mlik[f]", "milk[f]").replace('cow": sum(f) take[f]', 'cow": sum(f in Farms) mlik[f]')
    line = len(text.split("\n")) - 2
    uri = server.open(server.root / "wide.mcp", text)
    [d] = server.diagnostics(uri)
    expected = position(text, line, "mlik")
    assert d["range"]["start"] == expected
    assert expected["character"] == text.split("\n")[line].index("mlik") + 1
    assert d["range"]["end"]["character"] == expected["character"] + len("mlik[f]")


FIXED = SHOP.replace("mlik[f]", "milk[f]")


@pytest.fixture(scope="module")
def fixed(server):
    path = server.root / "fixed.mcp"
    path.write_text(FIXED, encoding="utf-8")
    uri = server.open(path)
    assert server.diagnostics(uri) == []
    return uri


def test_hover_on_a_parameter_shows_its_declaration(server, fixed):
    at = position(FIXED, 7, "milk")
    hover = server.request("textDocument/hover", {"textDocument": {"uri": fixed}, "position": at})
    assert hover["contents"]["kind"] == "markdown"
    value = hover["contents"]["value"]
    assert "param milk[Farms]" in value and "litres a day" in value
    assert hover["range"]["start"] == at
    # off any name, and in a comment: nothing
    nothing = server.request("textDocument/hover", {"textDocument": {"uri": fixed},
                                                    "position": {"line": 1, "character": 0}})
    assert nothing is None


def test_definition_of_a_use_is_the_declaration(server, fixed):
    use = position(FIXED, 7, "milk")
    use["character"] += 2  # inside the name
    found = server.request("textDocument/definition", {"textDocument": {"uri": fixed}, "position": use})
    found = found[0] if isinstance(found, list) else found
    assert found["uri"] == fixed
    assert found["range"] == {"start": position(FIXED, 3, "milk"),
                              "end": {"line": 3, "character": position(FIXED, 3, "milk")["character"] + 4}}


def test_completion_offers_declared_names_and_keywords(server, fixed):
    result = server.request("textDocument/completion", {"textDocument": {"uri": fixed},
                                                        "position": {"line": 7, "character": 2}})
    items = result["items"] if isinstance(result, dict) else result
    labels = {i["label"] for i in items}
    assert {"Farms", "milk", "take", "cost", "enough", "per_cow"} <= labels
    assert {"sum", "where", "subject to", "euclid", "tour"} <= labels
    milk = next(i for i in items if i["label"] == "milk")
    assert milk["detail"] == "param milk[Farms]"


def test_document_symbols_list_the_declarations(server, fixed):
    symbols = server.request("textDocument/documentSymbol", {"textDocument": {"uri": fixed}})
    assert [(s["name"], s["kind"]) for s in symbols] == [
        ("Farms", 10), ("milk", 14), ("take", 13), ("cost", 12), ("enough", 11), ("per_cow", 7)]
    milk = symbols[1]
    assert milk["selectionRange"]["start"] == position(FIXED, 3, "milk")
    assert milk["range"]["start"] == {"line": 3, "character": 0}
    assert milk["detail"] == "[Farms] litres a day"


def test_includes_definitions_and_errors_in_a_module(server):
    folder = server.root / "with_module"
    (folder / "parts").mkdir(parents=True)
    module = folder / "parts" / "demand.mcp"
    module.write_text(dedent("""
        # a module of the model's own
        param need[Farms] >= 0 default 2     "litres wanted"
    """), encoding="utf-8")
    text = dedent("""
        set Farms = {a, b}
        include "parts/demand"
        var take[Farms] >= 0
        minimize cost: sum(f) take[f]
        enough[f in Farms]: take[f] >= need[f]
    """)
    uri = server.open(folder / "main.mcp", text)
    assert server.diagnostics(uri) == []
    found = server.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                       "position": position(text, 4, "need")})
    found = found[0] if isinstance(found, list) else found
    assert found["uri"] == module.as_uri() and found["range"]["start"] == {"line": 1, "character": 6}
    hover = server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position(text, 4, "need")})
    assert "litres wanted" in hover["contents"]["value"] and "declared in demand.mcp, line 2" in hover["contents"]["value"]
    # the include line leads to the file
    found = server.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                       "position": position(text, 1, "parts")})
    found = found[0] if isinstance(found, list) else found
    assert found["uri"] == module.as_uri()

    # an error inside the module: on the module, and on the include line of the document
    module.write_text(module.read_text().replace("default 2", "default 2 default 3 >= nope"), encoding="utf-8")
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    mine = server.diagnostics(uri, lambda ds: ds != [])
    theirs = server.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == module.as_uri())["diagnostics"]
    [d] = theirs
    assert d["range"]["start"]["line"] == 1
    [m] = mine
    assert m["range"]["start"] == {"line": 1, "character": 0}
    assert m["message"].startswith("in demand.mcp:2:") and d["message"] in m["message"]
    assert m["relatedInformation"][0]["location"]["uri"] == module.as_uri()


def test_data_errors_are_shown_on_the_table_and_on_the_model(server):
    folder = server.root / "farms"
    (folder / "farms").mkdir(parents=True)
    (folder / "farms" / "Farms.csv").write_text("Farms,milk\na,10\nb,ten\n", encoding="utf-8")
    text = dedent("""
        set Farms
        param milk[Farms] >= 0
        var take[Farms] >= 0
        minimize cost: sum(f) take[f]
        enough[f in Farms]: take[f] >= milk[f]
    """)
    uri = server.open(folder / "farms.mcp", text)
    table = (folder / "farms" / "Farms.csv").as_uri()
    [m] = server.diagnostics(uri)
    [d] = server.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == table)["diagnostics"]
    assert d["range"]["start"] == {"line": 2, "character": 2}
    assert "'ten' is not a number" in d["message"]
    assert m["range"]["start"] == {"line": 0, "character": 0}
    assert m["message"].startswith("in Farms.csv:3:3: ") and "'ten' is not a number" in m["message"]

    # the table fixed, and the editor says so: both lists are emptied
    (folder / "farms" / "Farms.csv").write_text("Farms,milk\na,10\nb,12\n", encoding="utf-8")
    server.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": table, "type": 2}]})
    assert server.diagnostics(uri) == []
    assert server.wait_for("textDocument/publishDiagnostics",
                           lambda p: p["uri"] == table)["diagnostics"] == []
    # broken again, and the model saved
    (folder / "farms" / "Farms.csv").write_text("Farms,milk\na,10\nb,-1\n", encoding="utf-8")
    server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    [m] = server.diagnostics(uri)
    assert m["message"].startswith("in Farms.csv:3:")


GARBAGE = ("\x00\x01 model (((( [[[ {{{ \"\"\" never closed\n" + "(" * 20000 + "\n" + "é🐄" * 50
           + "\nparam p[" * 200 + "\ud7ff set set set ]]]] \t\r\n\r" + "x" * 10000)


def test_the_server_survives_a_document_that_breaks_the_parser(server, fixed):
    uri = server.open(server.root / "garbage.mcp", GARBAGE)
    [d] = server.diagnostics(uri)
    assert d["message"].startswith("unexpected character")
    for request, params in [("textDocument/hover", {"position": {"line": 1, "character": 5}}),
                            ("textDocument/definition", {"position": {"line": 2, "character": 3}}),
                            ("textDocument/documentSymbol", {}),
                            ("textDocument/completion", {"position": {"line": 0, "character": 0}})]:
        server.request(request, {"textDocument": {"uri": uri}, **params})  # an answer, whatever it is
    # a change that makes it worse, then a whole replacement that is a model again
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": "param x = " + "-" * 500 + "1\nset"}]})
    assert len(server.diagnostics(uri)) == 1
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                             "contentChanges": [{"text": FIXED}]})
    assert server.diagnostics(uri) == []
    hover = server.request("textDocument/hover", {"textDocument": {"uri": fixed}, "position": position(FIXED, 7, "milk")})
    assert "litres a day" in hover["contents"]["value"]


def test_closing_a_document_clears_its_diagnostics(server):
    uri = server.open(server.root / "closing.mcp", "set A = {a}\nparam p[B]\n")
    assert len(server.diagnostics(uri)) == 1
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert server.diagnostics(uri) == []


def test_a_client_that_counts_in_utf8_gets_utf8_columns(tmp_path):
    client = Client(tmp_path)
    try:
        result = client.request("initialize", {"processId": os.getpid(), "rootUri": tmp_path.as_uri(),
                                               "capabilities": {"general": {"positionEncodings": ["utf-8"]}}})
        assert result["capabilities"]["positionEncoding"] == "utf-8"
        client.notify("initialized", {})
        text = 'set Farms = {a}\nparam q "é🐄"; param p[Farms] >= nope\n'
        uri = client.open(tmp_path / "eight.mcp", text)
        [d] = client.diagnostics(uri)
        row = text.split("\n")[1]
        assert d["range"]["start"] == {"line": 1, "character": len(row[:row.index("nope")].encode("utf-8"))}
    finally:
        assert client.close() == 0


def test_an_internal_error_is_logged_and_shown_and_the_server_goes_on(tmp_path):
    # the real server, with its analysis made to fail on one document (a stand-in for a bug in milkrun)
    inject = ("import sys, milkrun.compiler.lsp.analysis as a\n"
              "real = a.analyse\n"
              "def analyse(text, path, **kw):\n"
              "    if 'boom' in text: raise RuntimeError('boom')\n"
              "    return real(text, path, **kw)\n"
              "a.analyse = analyse\n"
              "from milkrun.compiler.cli.command import main\n"
              "sys.exit(main(['lsp']))\n")
    client = Client(tmp_path, [sys.executable, "-c", inject])
    try:
        initialize(client, tmp_path)
        uri = client.open(tmp_path / "bug.mcp", "set A  # boom\n")
        [d] = client.diagnostics(uri)
        assert d["message"] == "internal error in milkrun: RuntimeError: boom"
        logged = client.wait_for("window/logMessage", lambda p: "RuntimeError: boom" in p["message"])
        assert logged["type"] == 1 and "Traceback" in logged["message"]
        ok = client.open(tmp_path / "ok.mcp", "set A = {a}\n")
        assert client.diagnostics(ok) == []
    finally:
        assert client.close() == 0


def test_without_pygls_the_command_says_what_to_install(tmp_path):
    blocked = ("import sys\n"
               "sys.modules['pygls'] = sys.modules['lsprotocol'] = None\n"
               "from milkrun.compiler.cli.command import main\n"
               "import milkrun, milkrun.compiler.pipeline\n"  # the core needs neither
               "sys.exit(main(['lsp']))\n")
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "pip install 'milkrun[editor]'" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
