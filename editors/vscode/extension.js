// The NPL extension: starts `npc lsp` for .npl files (diagnostics as you
// type, hover, go to definition, references, rename, completion, formatting,
// quick fixes, outline, policy counts). Highlighting comes from the TextMate
// grammar and works without npc.
"use strict";

const fs = require("fs");
const path = require("path");
const vscode = require("vscode");

const SECTION = "npl";
const PATH_SETTING = "server.path";

let client;

/** The absolute path of `command` (a path, or a name looked up in PATH), or null. */
function findExecutable(command, env = process.env) {
  const isFile = (p) => {
    try {
      return fs.statSync(p).isFile() && (process.platform === "win32" || (fs.statSync(p).mode & 0o111) !== 0);
    } catch {
      return false;
    }
  };
  if (command.includes("/") || command.includes("\\")) {
    return isFile(command) ? path.resolve(command) : null;
  }
  const extensions = process.platform === "win32" ? (env.PATHEXT || ".EXE").split(";") : [""];
  for (const dir of (env.PATH || "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext);
      if (isFile(candidate)) return candidate;
    }
  }
  return null;
}

/** The server command from the settings: `npl.server.path`, with `~/` expanded. */
function serverCommand() {
  let command = vscode.workspace.getConfiguration(SECTION).get(PATH_SETTING) || "npc";
  if (command.startsWith("~/")) {
    command = path.join(require("os").homedir(), command.slice(2));
  }
  return command;
}

async function notFound(command) {
  const open = "Open Settings";
  const choice = await vscode.window.showErrorMessage(
    `NPL: the language server \`${command}\` was not found, so there are no diagnostics, hover or completion ` +
      "(highlighting still works). Install npc (`cargo install --path .` in the npc repository) " +
      `or set \`${SECTION}.${PATH_SETTING}\` to the npc binary.`,
    open,
  );
  if (choice === open) {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.${PATH_SETTING}`);
  }
}

async function start(context) {
  const { LanguageClient } = require("vscode-languageclient/node");
  const command = serverCommand();
  const executable = findExecutable(command);
  if (!executable) {
    await notFound(command);
    return;
  }
  const run = { command: executable, args: ["lsp"] };
  client = new LanguageClient(
    "npl",
    "NPL (npc lsp)",
    { run, debug: run },
    {
      documentSelector: [
        { scheme: "file", language: "npl" },
        { scheme: "untitled", language: "npl" },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/*.npl"),
      },
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

async function stop() {
  if (client) {
    const old = client;
    client = undefined;
    await old.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration(`${SECTION}.${PATH_SETTING}`)) {
        await stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate, findExecutable };
