// Opens the HTML reports of `npc graph` in headless Chromium (Debian's
// package, driven by playwright-core) and checks what a reviewer sees: the
// nodes and connections of the embedded model, the panels of a clicked
// node and connection, the namespace filter, pan and zoom, no console
// error and no network access. Renders the Mermaid output of every example
// with Mermaid itself. Screenshots go to $GRAPH_OUT.
//
// Run by scripts/test-graph.sh, which builds npc and sets:
//   NPC        the npc binary
//   GEN_NPL    a generated program of about 50 namespaces and 300 workloads
//   GRAPH_OUT  where reports and screenshots are written (under target/)
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '../..');
const NPC = process.env.NPC || path.join(ROOT, 'target/release/npc');
const OUT = process.env.GRAPH_OUT || path.join(ROOT, 'target/graph-browser');
const GEN = process.env.GEN_NPL;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let context;
let profile;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'npc-graph-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'
    ],
    viewport: { width: 1600, height: 1000 }
  });
});

after(async () => {
  if (context) await context.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

/** Writes the HTML report of `file` and returns its path. */
function report(file, name) {
  const out = path.join(OUT, name + '.html');
  execFileSync(NPC, ['graph', file, '-o', 'html', '--out-file', out], { cwd: ROOT, stdio: 'inherit' });
  return out;
}

/** Opens a page, recording console errors, page errors and every request. */
async function open(file) {
  const page = await context.newPage();
  const problems = [];
  const url = 'file://' + file;
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) problems.push('request: ' + r.url());
  });
  await page.goto(url);
  await page.waitForSelector('#canvas .node');
  const model = JSON.parse(await page.textContent('#npc-graph'));
  return { page, problems, model };
}

/** What the drawing shows: node ids, connection ids (bundled and grouped
 * lines count for their members), group ids and expectation lines. */
async function shown(page) {
  return page.evaluate(() => {
    const ids = (sel, attr) => Array.from(document.querySelectorAll(sel)).map((e) => e.getAttribute(attr));
    const edges = ids('#viewport .layer-edges path.edge[data-id]', 'data-id');
    for (const m of ids('#viewport .layer-edges path.edge[data-members]', 'data-members')) {
      edges.push(...JSON.parse(m));
    }
    return {
      nodes: ids('#viewport .node', 'data-id'),
      groups: ids('#viewport .group', 'data-id'),
      edges,
      expectLines: document.querySelectorAll('#viewport path.expect-line').length
    };
  });
}

const sorted = (a) => [...a].sort();

/** An edge's trace lines and rule lines, which the model stores once and
 * edges name by index. */
function traceOf(model, edge) {
  return edge.trace.map((i) => model.traces[i]);
}

function linesOf(model, edge) {
  return model.rule_sets[edge.rule_set].lines;
}

/** The part of the model the namespace filter keeps (the rule of
 * `npc graph --focus-namespace`): the namespace's nodes, the connections that
 * touch them, their other ends, the expectations about them and their nodes. */
function selectNamespace(model, ns) {
  const chosen = new Set(model.nodes.filter((n) => n.group === ns).map((n) => n.id));
  const edges = model.edges.filter((e) => chosen.has(e.source) || chosen.has(e.target));
  const keep = new Set(chosen);
  edges.forEach((e) => { keep.add(e.source); keep.add(e.target); });
  const expects = model.expectations.filter((x) => [...x.sources, ...x.targets].some((id) => chosen.has(id)));
  expects.forEach((x) => [...x.sources, ...x.targets].forEach((id) => keep.add(id)));
  return { nodes: [...keep], edges: edges.map((e) => e.id), expects };
}

function expectLines(expects) {
  return expects.reduce((n, x) => n + x.sources.length * x.targets.length, 0);
}

/** Clicks a connection with the mouse, at a point of its line that no
 * other element covers. */
async function clickEdge(page, id) {
  const point = await page.evaluate((id) => {
    const hit = Array.from(document.querySelectorAll('path.edge-hit')).find((p) => p.getAttribute('data-id') === id);
    if (!hit) return null;
    const len = hit.getTotalLength();
    const ctm = hit.getScreenCTM();
    for (const f of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
      const p = hit.getPointAtLength(len * f);
      const x = ctm.a * p.x + ctm.c * p.y + ctm.e;
      const y = ctm.b * p.x + ctm.d * p.y + ctm.f;
      const top = document.elementFromPoint(x, y);
      if (top && top.getAttribute('data-id') === id) return { x, y };
    }
    return null;
  }, id);
  assert.ok(point, `a clickable point on ${id}`);
  await page.mouse.click(point.x, point.y);
}

async function panelText(page) {
  return (await page.textContent('#panel')).replace(/\s+/g, ' ');
}

test('the shop report shows the model, its node and edge panels, and filters by namespace', async () => {
  const { page, problems, model } = await open(report('examples/shop.npl', 'shop'));
  // Everything in the model is drawn.
  let s = await shown(page);
  assert.deepEqual(sorted(s.nodes), sorted(model.nodes.map((n) => n.id)));
  assert.deepEqual(sorted(s.edges), sorted(model.edges.map((e) => e.id)));
  assert.deepEqual(sorted(s.groups), sorted(model.groups.map((g) => g.id)));
  assert.equal(s.expectLines, expectLines(model.expectations));
  // What the example is: spot checks against the program, not only the model.
  assert.ok(model.edges.some((e) => e.id === 'web/frontend -> payments/api-server' && e.ports === 'TCP 8080'));
  assert.ok(model.edges.some((e) => e.id === 'payments/api-server -> payments/postgres-primary' && e.ports === 'TCP 5432'));
  assert.ok(!model.edges.some((e) => e.id === 'web/frontend -> payments/postgres-primary'));
  assert.equal(model.expectations.length, 4);
  assert.ok(model.expectations.every((x) => x.holds));
  await page.screenshot({ path: path.join(OUT, 'shop.png') });

  // A node: its egress and ingress with ports, as in the model.
  await page.click('.node[data-id="web/frontend"]');
  let text = await panelText(page);
  const out = model.edges.filter((e) => e.source === 'web/frontend');
  const inc = model.edges.filter((e) => e.target === 'web/frontend');
  assert.match(text, new RegExp(`egress: ${out.length} connections`));
  assert.match(text, new RegExp(`ingress: ${inc.length} connections`));
  for (const e of out) {
    assert.ok(text.includes(e.target + e.ports), `${e.id} listed with its ports: ${text}`);
  }
  assert.ok(text.includes('payments/api-serverTCP 8080allow'), text);
  assert.ok(text.includes('isolated by web/allow-dns, web/default-deny (examples/shop.npl:7), web/frontend'), text);
  assert.ok(await page.$eval('.node[data-id="web/frontend"]', (g) => g.classList.contains('selected')));
  await page.screenshot({ path: path.join(OUT, 'shop-node.png') });

  // A connection: its trace, rules and .npl lines.
  await page.keyboard.press('Escape');
  await clickEdge(page, 'web/frontend -> payments/api-server');
  text = await panelText(page);
  const edge = model.edges.find((e) => e.id === 'web/frontend -> payments/api-server');
  assert.ok(text.includes('web/frontend → payments/api-server'), text);
  assert.ok(text.includes('ports: TCP 8080'), text);
  assert.ok(text.includes('examples/shop.npl:16'), text);
  for (const line of traceOf(model, edge)) assert.ok(text.includes(line), `trace line ${line}: ${text}`);
  assert.ok(text.includes("the destination's ingress: isolated by `payments/api-server`, `payments/default-deny`; allowed by `payments/api-server` ingress rule 0 (examples/shop.npl:16)"), text);
  assert.ok(text.includes('payments/api-serveringress rule 0'), text);
  await page.screenshot({ path: path.join(OUT, 'shop-edge.png') });

  // An expectation from the overview list.
  await page.keyboard.press('Escape');
  await page.click('#panel li[data-expect="1"]');
  text = await panelText(page);
  assert.ok(text.includes('expect deny web/frontend -> payments/postgres-primary:5432'), text);
  assert.ok(text.includes('✓ holds'), text);

  // The namespace filter.
  await page.selectOption('#ns-filter', 'payments');
  s = await shown(page);
  const want = selectNamespace(model, 'payments');
  assert.deepEqual(sorted(s.nodes), sorted(want.nodes));
  assert.deepEqual(sorted(s.edges), sorted(want.edges));
  assert.equal(s.expectLines, expectLines(want.expects));
  assert.ok(s.nodes.includes('web/frontend') && !s.nodes.includes('monitoring/*'));
  await page.screenshot({ path: path.join(OUT, 'shop-payments.png') });

  // Unticking an origin in the legend hides its connections.
  await page.selectOption('#ns-filter', '');
  await page.keyboard.press('Escape');
  await page.uncheck('input[data-origin="dns"]');
  s = await shown(page);
  assert.deepEqual(sorted(s.edges), sorted(model.edges.filter((e) => !(e.origins.length === 1 && e.origins[0] === 'dns')).map((e) => e.id)));
  assert.deepEqual(problems, []);
  await page.close();
});

test('a 50-namespace report is drawn whole, by namespace, and readable when filtered', { skip: !GEN && 'GEN_NPL is not set' }, async () => {
  const file = report(GEN, 'gen50');
  const size = fs.statSync(file).size;
  const { page, problems, model } = await open(file);
  const managed = model.groups.filter((g) => g.kind === 'managed').length;
  const workloads = model.nodes.filter((n) => n.kind === 'workload').length;
  console.log(`# gen50: ${managed} managed namespaces, ${workloads} workloads, ${model.nodes.length} nodes, ${model.edges.length} edges, ${model.expectations.length} expectations, ${size} bytes`);
  assert.ok(managed >= 45 && managed <= 60, `${managed} namespaces`);
  assert.ok(workloads >= 250 && workloads <= 350, `${workloads} workloads`);

  // The overview: one line per pair of namespaces, every connection in one.
  let s = await shown(page);
  assert.equal(await page.isChecked('#grouped'), true);
  assert.deepEqual(sorted(s.nodes), sorted(model.nodes.map((n) => n.id)));
  assert.deepEqual(sorted(s.edges), sorted(model.edges.map((e) => e.id)));
  assert.equal(s.expectLines, expectLines(model.expectations));
  const lines = await page.$$eval('#viewport .layer-edges path.edge', (p) => p.length);
  assert.ok(lines < model.edges.length / 2, `${lines} lines for ${model.edges.length} connections`);
  await page.screenshot({ path: path.join(OUT, 'gen50-overview.png') });

  // Zoom with the wheel, pan with a drag.
  const before = await page.getAttribute('#viewport', 'transform');
  await page.mouse.move(500, 500);
  await page.mouse.wheel(0, -600);
  const zoomed = await page.getAttribute('#viewport', 'transform');
  const scale = (t) => Number(/scale\(([\d.]+)\)/.exec(t)[1]);
  assert.ok(scale(zoomed) > scale(before) * 1.5, `${before} -> ${zoomed}`);
  await page.mouse.move(600, 600);
  await page.mouse.down();
  await page.mouse.move(300, 400, { steps: 5 });
  await page.mouse.up();
  const panned = await page.getAttribute('#viewport', 'transform');
  assert.notEqual(panned, zoomed);
  assert.equal(scale(panned), scale(zoomed));
  await page.screenshot({ path: path.join(OUT, 'gen50-zoomed.png') });

  // Every connection drawn one by one.
  await page.uncheck('#grouped');
  s = await shown(page);
  assert.deepEqual(sorted(s.edges), sorted(model.edges.map((e) => e.id)));
  await page.check('#grouped');

  // One namespace: the managed one with the most `allow` connections among
  // those that are not hubs of the whole cluster (kube-system serves DNS to
  // every pod: its filter shows everything).
  const busiest = model.groups
    .filter((g) => g.kind === 'managed' && selectNamespace(model, g.id).nodes.length <= 60)
    .map((g) => [g.id, model.edges.filter((e) => e.origins.includes('allow') && (e.source.startsWith(g.id + '/') || e.target.startsWith(g.id + '/'))).length])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  await page.selectOption('#ns-filter', busiest);
  s = await shown(page);
  const want = selectNamespace(model, busiest);
  assert.deepEqual(sorted(s.nodes), sorted(want.nodes));
  assert.deepEqual(sorted(s.edges), sorted(want.edges));
  assert.equal(await page.isChecked('#grouped'), false, 'a filtered view draws each connection');
  // Readable: node labels at least 11px high on the screen.
  const px = await page.$eval('#viewport .node text', (t) => t.getBoundingClientRect().height);
  assert.ok(px >= 11, `labels are ${px}px high`);
  await page.screenshot({ path: path.join(OUT, 'gen50-namespace.png') });

  // A node of that namespace with the most connections.
  const node = model.nodes
    .filter((n) => n.group === busiest)
    .map((n) => [n.id, model.edges.filter((e) => e.source === n.id || e.target === n.id).length])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  await page.click(`.node[data-id="${node}"]`);
  let text = await panelText(page);
  const out = model.edges.filter((e) => e.source === node);
  assert.match(text, new RegExp(`egress: ${out.length} connection`));
  for (const e of out) assert.ok(text.includes(e.target + e.ports), `${e.id}: ${text}`);
  await page.screenshot({ path: path.join(OUT, 'gen50-node.png') });

  // One of its connections to another namespace.
  await page.keyboard.press('Escape');
  const single = new Set(await page.$$eval('#viewport .layer-edges path.edge-hit[data-id]', (p) => p.map((x) => x.getAttribute('data-id'))));
  const drawnAlone = out.filter((e) => single.has(e.id));
  assert.ok(drawnAlone.length > 0, 'a connection drawn on its own');
  const edge = drawnAlone.find((e) => !e.target.startsWith(busiest + '/') && e.origins[0] === 'allow') || drawnAlone[0];
  await clickEdge(page, edge.id);
  text = await panelText(page);
  for (const line of traceOf(model, edge)) assert.ok(text.includes(line), `trace line ${line}: ${text}`);
  for (const line of linesOf(model, edge)) assert.ok(text.includes(line), `${line}: ${text}`);
  await page.screenshot({ path: path.join(OUT, 'gen50-edge.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

/** Measures the drawn lines on the SVG geometry: the points of each line
 * (every 5px of its length) that lie inside a namespace box other than the
 * two it connects, and the lines without their ports in a visible label or
 * a tooltip. */
async function lineGeometry(page) {
  return page.evaluate(() => {
    const boxes = Array.from(document.querySelectorAll('#viewport .group')).map((g) => {
      const r = g.querySelector('rect');
      return {
        id: g.getAttribute('data-id'),
        x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')),
        w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height'))
      };
    });
    const ports = /\b(TCP|UDP|SCTP) |: all\b/;
    const labels = Array.from(document.querySelectorAll('#viewport .port-label')).map((t) => t.textContent);
    const crossings = [];
    const unlabeled = [];
    let lines = 0;
    let points = 0;
    for (const p of document.querySelectorAll('#viewport .layer-edges path.edge')) {
      lines++;
      const from = p.getAttribute('data-from-group');
      const to = p.getAttribute('data-to-group');
      const name = p.getAttribute('data-id') || p.getAttribute('data-members');
      if (from === null || to === null) {
        crossings.push(`${name}: no data-from-group/data-to-group`);
        continue;
      }
      const len = p.getTotalLength();
      const crossed = new Set();
      for (let d = 0; d <= len; d += 5) {
        const pt = p.getPointAtLength(d);
        points++;
        for (const b of boxes) {
          if (b.id === from || b.id === to || crossed.has(b.id)) continue;
          if (pt.x > b.x + 0.5 && pt.x < b.x + b.w - 0.5 && pt.y > b.y + 0.5 && pt.y < b.y + b.h - 0.5) {
            crossed.add(b.id);
            crossings.push(`${name} (${from} -> ${to}) crosses ${b.id} at ${pt.x.toFixed(0)},${pt.y.toFixed(0)}`);
          }
        }
      }
      // The hit area drawn right after the line carries its tooltip.
      const hit = p.nextElementSibling;
      const tip = hit && hit.classList.contains('edge-hit') && hit.querySelector('title');
      if (!(tip && ports.test(tip.textContent))) unlabeled.push(name);
    }
    return { boxes: boxes.length, lines, points, crossings, unlabeled, labels };
  });
}

test('no line crosses a namespace box it does not connect, and every line shows its ports', { skip: !GEN && 'GEN_NPL is not set' }, async () => {
  const file = report(GEN, 'gen50-lines');
  const { page, problems, model } = await open(file);
  const managed = model.groups.filter((g) => g.kind === 'managed').length;
  assert.ok(managed >= 45, `${managed} namespaces`);
  for (const grouped of [true, false]) {
    if (grouped) await page.check('#grouped'); else await page.uncheck('#grouped');
    const g = await lineGeometry(page);
    console.log(`# gen50 ${grouped ? 'by namespace' : 'every connection'}: ${g.lines} lines, ${g.boxes} boxes, ${g.points} points measured`);
    assert.ok(g.boxes >= 45 && g.lines > 40, `${g.boxes} boxes, ${g.lines} lines`);
    assert.deepEqual(g.crossings.slice(0, 20), [], `${g.crossings.length} crossings`);
    assert.deepEqual(g.unlabeled.slice(0, 20), [], `${g.unlabeled.length} lines without ports`);
    await page.screenshot({ path: path.join(OUT, `gen50-lines-${grouped ? 'grouped' : 'all'}.png`) });
  }
  // The shop: few enough lines for a port label on each.
  const shop = await open(report(path.join(ROOT, 'examples/shop.npl'), 'shop-lines'));
  const g = await lineGeometry(shop.page);
  assert.deepEqual(g.crossings, []);
  assert.deepEqual(g.unlabeled, []);
  assert.equal(g.labels.length, g.lines, `a port label per line: ${g.labels}`);
  assert.ok(g.labels.includes('TCP 8080'), `${g.labels}`);
  await shop.page.screenshot({ path: path.join(OUT, 'shop-lines.png') });
  assert.deepEqual(problems.concat(shop.problems), []);
  await page.close();
  await shop.page.close();
});

test('the report of existing manifests (npc analyze -o html) shows their policies', async () => {
  const out = path.join(OUT, 'boutique.html');
  const html = execFileSync(NPC, ['analyze', 'tests/data/manifests/boutique', '-o', 'html'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  fs.writeFileSync(out, html);
  const { page, problems, model } = await open(out);
  assert.equal(model.of, 'manifests');
  let s = await shown(page);
  assert.deepEqual(sorted(s.nodes), sorted(model.nodes.map((n) => n.id)));
  assert.deepEqual(sorted(s.edges), sorted(model.edges.map((e) => e.id)));
  // What the demo's policies say, spot-checked against the manifests.
  assert.ok(model.edges.some((e) => e.id === 'boutique/frontend -> boutique/cartservice' && e.ports === 'TCP 7070'));
  assert.ok(model.edges.some((e) => e.id === 'boutique/cartservice -> boutique/redis-cart' && e.ports === 'TCP 6379'));
  assert.ok(!model.edges.some((e) => e.id === 'boutique/frontend -> boutique/redis-cart'));
  let text = await panelText(page);
  assert.ok(text.includes('npc analyze') && text.includes('NetworkPolicy rule'), text);
  assert.ok(!text.includes('expectation'), text);
  await page.screenshot({ path: path.join(OUT, 'boutique.png') });

  await page.click('.node[data-id="boutique/cartservice"]');
  text = await panelText(page);
  const outgoing = model.edges.filter((e) => e.source === 'boutique/cartservice');
  assert.match(text, new RegExp(`egress: ${outgoing.length} connection`));
  assert.ok(text.includes('boutique/redis-cartTCP 6379'), text);
  assert.ok(text.includes('tests/data/manifests/boutique/policies.yaml:115'), text);

  await page.keyboard.press('Escape');
  await clickEdge(page, 'boutique/cartservice -> boutique/redis-cart');
  text = await panelText(page);
  const edge = model.edges.find((e) => e.id === 'boutique/cartservice -> boutique/redis-cart');
  assert.ok(text.includes('manifest lines'), text);
  for (const line of traceOf(model, edge)) assert.ok(text.includes(line), `trace line ${line}: ${text}`);
  assert.ok(text.includes('allowed by boutique/redis-cart ingress rule 0'), text);
  await page.screenshot({ path: path.join(OUT, 'boutique-edge.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the Mermaid output of every example renders with Mermaid', async () => {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
  const examples = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.npl')).sort();
  assert.ok(examples.length >= 4);
  const inputs = examples.map((f) => [f, ['graph', 'examples/' + f, '-o', 'mermaid']])
    .concat([['boutique manifests', ['analyze', 'tests/data/manifests/boutique', '-o', 'mermaid']]]);
  for (const [f, args] of inputs) {
    const text = execFileSync(NPC, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const result = await page.evaluate(async (text) => {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render('graph' + Math.random().toString(36).slice(2), text);
        document.getElementById('out').innerHTML = svg;
        const labels = Array.from(document.querySelectorAll('#out .edgeLabel')).map((e) => e.textContent);
        const nodeTexts = Array.from(document.querySelectorAll('#out .node')).map((e) => e.textContent);
        return { ok: true, nodes: nodeTexts.length, labels, nodeTexts, all: document.getElementById('out').textContent };
      } catch (e) {
        return { ok: false, error: String(e && e.message || e) };
      }
    }, text);
    assert.ok(result.ok, `${f}: ${result.error}`);
    // Nodes in namespace boxes, and the one node of `cluster` connections.
    const nodes = (text.match(/^ {4}n\d+\[/gm) || []).length + (text.match(/^ {2}any_pod\[/gm) || []).length;
    assert.equal(result.nodes, nodes, `${f}: every node is drawn`);
    assert.ok(!/unsupported markdown/i.test(result.all), `${f}: labels are text, not Markdown: ${result.nodeTexts.join(' | ')}`);
    if (f === 'shop.npl') {
      // Entity codes come out as the characters they stand for.
      assert.ok(result.labels.some((l) => l.includes('dns: TCP 53; UDP 53')), result.labels.join(' | '));
      assert.ok(result.nodeTexts.includes('any pod (*)'), result.nodeTexts.join(' | '));
      assert.ok(result.nodeTexts.includes('{k8s-app=kube-dns}open: ingress, egress'), result.nodeTexts.join(' | '));
      await page.screenshot({ path: path.join(OUT, 'shop-mermaid.png'), fullPage: true });
    }
  }
  assert.deepEqual(problems, []);
  await page.close();
});
