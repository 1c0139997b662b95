// milkrun's VS Code extension has this one script: it starts milkrun's language server (`milkrun lsp`,
// or the command in the setting milkrun.server.command) for .mcp files. The syntax colours need no
// script. Without `npm install` in this folder (no vscode-languageclient), the colours still work and
// a message says how to turn the server on. docs/editors.md says how to install and package it.
"use strict";
const vscode = require("vscode");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("milkrun").get("server.command", ["milkrun", "lsp"]);
  if (!Array.isArray(command) || command.length === 0) {
    return undefined; // the user turned the server off: colours only
  }
  let LanguageClient;
  try {
    ({ LanguageClient } = require("vscode-languageclient/node"));
  } catch (e) {
    vscode.window.showWarningMessage(
      "milkrun: the language server is off because vscode-languageclient is missing: run `npm install` in " +
        context.extensionPath + " and reload the window.");
    return undefined;
  }
  const server = { command: command[0], args: command.slice(1) };
  client = new LanguageClient("milkrun", "milkrun", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "milkrun" }, { scheme: "untitled", language: "milkrun" }],
    // a changed data table or module beside the model: the server checks the open models again
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{mcp,csv}") },
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("milkrun.server.command")) {
        vscode.window.showInformationMessage("milkrun: reload the window to start the server with the new command.");
      }
    }));
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `milkrun: could not start the language server with ${JSON.stringify(command)}: ${error.message || error}. ` +
        "Install it with pip install 'milkrun[editor]', or set milkrun.server.command.");
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
