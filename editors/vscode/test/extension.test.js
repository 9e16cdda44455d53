// The extension's activation outside VS Code: `vscode` and the language
// client are replaced by recording fakes, so these tests check what the
// extension asks for (which binary, which arguments, which documents, what
// it tells the user when npc is missing), not VS Code itself.
//
//   NPC_BIN=/path/to/npc node --test test/extension.test.js
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const Module = require("module");
const path = require("path");

const npc = process.env.NPC_BIN || path.resolve(__dirname, "../../../target/debug/npc");

function fakes(settings) {
  const log = { clients: [], errors: [], commands: [], answer: undefined };
  const vscode = {
    workspace: {
      getConfiguration: (section) => ({
        get: (key) => settings[`${section}.${key}`],
      }),
      onDidChangeConfiguration: (listener) => {
        log.onConfig = listener;
        return { dispose() {} };
      },
      createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    },
    window: {
      showErrorMessage: async (message, ...actions) => {
        log.errors.push({ message, actions });
        return log.answer;
      },
    },
    commands: {
      executeCommand: async (...args) => log.commands.push(args),
    },
  };
  class LanguageClient {
    constructor(id, name, server, options) {
      Object.assign(this, { id, name, server, options, started: false, stopped: false });
      log.clients.push(this);
    }
    async start() {
      this.started = true;
    }
    async stop() {
      this.stopped = true;
    }
    dispose() {}
  }
  return { log, vscode, client: { LanguageClient } };
}

function load(settings) {
  const f = fakes(settings);
  const original = Module._load;
  Module._load = function (request, ...rest) {
    if (request === "vscode") return f.vscode;
    if (request === "vscode-languageclient/node") return f.client;
    return original.call(this, request, ...rest);
  };
  const file = require.resolve("../extension.js");
  delete require.cache[file];
  try {
    return { ext: require(file), log: f.log, restore: () => (Module._load = original) };
  } catch (e) {
    Module._load = original;
    throw e;
  }
}

test("starts `npc lsp` for npl documents with the configured binary", async () => {
  const { ext, log, restore } = load({ "npl.server.path": npc });
  try {
    const context = { subscriptions: [] };
    await ext.activate(context);
    assert.strictEqual(log.errors.length, 0, JSON.stringify(log.errors));
    assert.strictEqual(log.clients.length, 1);
    const c = log.clients[0];
    assert.strictEqual(c.server.run.command, npc);
    assert.deepStrictEqual(c.server.run.args, ["lsp"]);
    assert.deepStrictEqual(c.options.documentSelector, [
      { scheme: "file", language: "npl" },
      { scheme: "untitled", language: "npl" },
    ]);
    assert.strictEqual(c.options.synchronize.fileEvents.glob, "**/*.npl");
    assert.ok(c.started);

    // Changing the setting restarts the server.
    await log.onConfig({ affectsConfiguration: (s) => s === "npl.server.path" });
    assert.ok(c.stopped);
    assert.strictEqual(log.clients.length, 2);
    assert.ok(log.clients[1].started);
    await ext.deactivate();
    assert.ok(log.clients[1].stopped);
  } finally {
    restore();
  }
});

test("finds npc in PATH by name", () => {
  const { ext, restore } = load({});
  try {
    const dir = path.dirname(npc);
    assert.strictEqual(ext.findExecutable("npc", { PATH: `/nonexistent:${dir}` }), npc);
    assert.strictEqual(ext.findExecutable("npc", { PATH: "/nonexistent" }), null);
  } finally {
    restore();
  }
});

test("says clearly when npc is not installed, and offers the setting", async () => {
  const { ext, log, restore } = load({ "npl.server.path": "/nonexistent/npc" });
  log.answer = "Open Settings";
  try {
    await ext.activate({ subscriptions: [] });
    assert.strictEqual(log.clients.length, 0, "no client without a server");
    assert.strictEqual(log.errors.length, 1);
    const { message, actions } = log.errors[0];
    assert.match(message, /`\/nonexistent\/npc` was not found/);
    assert.match(message, /cargo install --path \./);
    assert.match(message, /npl\.server\.path/);
    assert.deepStrictEqual(actions, ["Open Settings"]);
    assert.deepStrictEqual(log.commands, [["workbench.action.openSettings", "npl.server.path"]]);
  } finally {
    restore();
  }
});
