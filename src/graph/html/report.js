// npc graph: draws the connectivity model embedded in this page as SVG.
// Layout: namespaces as boxes packed in rows, endpoints in a grid inside
// each box. A connection between two namespaces leaves its box up or down
// into the gutter between rows of boxes, runs along the gutters (and the
// margins beside the rows) and enters the other box: it never crosses a
// namespace it does not connect. Connections inside one namespace are
// curves within its box. Every text from the model is inserted with
// textContent or setAttribute, never parsed as HTML.
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('npc-graph').textContent);
  var svg = document.getElementById('canvas');
  var panel = document.getElementById('panel');
  var nsFilter = document.getElementById('ns-filter');
  var findInput = document.getElementById('find');
  // The tier styles come first when the graph has them (cluster guardrails).
  var ORIGINS = ['accept', 'pass', 'deny'].filter(function (o) {
    return data.edges.some(function (e) { return e.origins.indexOf(o) >= 0; });
  }).concat(['allow', 'dns', 'scrape']);
  var MANIFESTS = data.of === 'manifests';
  var ORIGIN_TEXT = {
    allow: MANIFESTS ? 'NetworkPolicy rule' : 'allow statement',
    dns: 'DNS carve-out',
    scrape: 'scrape carve-out',
    accept: 'accepted by a tier statement',
    pass: 'an admin pass, then the namespaces\u2019 policies',
    deny: 'allowed by the namespaces, denied by a tier statement'
  };
  var COLORS = {
    allow: '#2563eb', dns: '#7c3aed', scrape: '#c2410c',
    accept: '#0f766e', pass: '#0891b2', deny: '#9f1239',
    holds: '#15803d', fails: '#dc2626'
  };
  var NODE_H = 26, GAP_X = 10, GAP_Y = 8, PAD = 10, HEAD = 38, GROUP_GAP = 30;
  var FONT = '12px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
  var BOLD = '600 13px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
  var BIG = '600 24px system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
  var HEAD_BIG = 50;
  // The margin around the rows of boxes: the vertical channels between rows.
  var MARGIN = 80;
  // Port labels on every line up to this many lines; past it, tooltips.
  var LABELED_LINES = 200;

  var nodeById = new Map();
  var groupById = new Map();
  var edgeById = new Map();
  var outEdges = new Map();
  var inEdges = new Map();
  data.groups.forEach(function (g) { groupById.set(g.id, g); });
  data.nodes.forEach(function (n) {
    nodeById.set(n.id, n);
    outEdges.set(n.id, []);
    inEdges.set(n.id, []);
  });
  data.edges.forEach(function (e) {
    edgeById.set(e.id, e);
    outEdges.get(e.source).push(e);
    inEdges.get(e.target).push(e);
  });

  var state = {
    ns: '',
    selection: null,
    origins: { allow: true, dns: true, scrape: true, accept: true, pass: true, deny: true },
    showExpect: true,
    // Connections between namespaces drawn one per pair of namespaces:
    // null means automatic (on above OVERVIEW_NODES endpoints, unfiltered).
    grouped: null,
    view: { x: 0, y: 0, k: 1 }
  };
  var OVERVIEW_NODES = 120;
  var drawn = null; // what the last render drew

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'onclick') e.addEventListener('click', attrs[k]);
        else e.setAttribute(k, attrs[k]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function s(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else e.setAttribute(k, attrs[k]);
      });
    }
    return e;
  }

  var measureCtx = document.createElement('canvas').getContext('2d');
  function measure(text, font) {
    measureCtx.font = font || FONT;
    return measureCtx.measureText(text).width;
  }

  function styleOrigin(e) {
    return e.origins.length ? e.origins[0] : 'allow';
  }

  function edgeLabel(e) {
    if (!e.origins.length || (e.origins.length === 1 && e.origins[0] === 'allow')) return e.ports;
    return e.origins.join(', ') + ': ' + e.ports;
  }

  function nodeText(n) {
    return n.kind === 'all-pods' ? n.label + ' (any pod)' : n.label;
  }

  function groupTitle(g) {
    if (g.kind === 'managed') {
      var i = g.isolation || { ingress: false, egress: false };
      if (g.only && g.only.length) {
        var parts = g.only.slice();
        var whole = ['ingress', 'egress'].filter(function (w) {
          return i[w] && !g.only.some(function (o) { return o.indexOf(w) === 0; });
        });
        if (whole.length) parts.push(whole.join(', ') + ' isolated');
        return [g.id, parts.join('; ')];
      }
      var dirs = i.ingress && i.egress ? 'ingress, egress isolated'
        : i.ingress ? 'ingress isolated' : i.egress ? 'egress isolated' : 'not isolated';
      return [g.id, dirs];
    }
    if (g.kind === 'unmanaged') return [g.id, 'not managed'];
    if (g.kind === 'selected' && g.id === '*') return ['other namespaces', 'not managed'];
    if (g.kind === 'selected') return ['namespaces ' + g.id, 'not managed'];
    return ['outside the cluster', 'addresses'];
  }

  function openIngress(n) { return !n.ingress || !n.ingress.isolated; }
  function openEgress(n) { return !n.egress || !n.egress.isolated; }

  function truncate(text, width, font) {
    if (measure(text, font) <= width) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (measure(text.slice(0, mid) + '…', font) <= width) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  }

  // ---------------------------------------------------------- what is shown
  function edgeOn(e) {
    return e.origins.length === 0 || e.origins.some(function (o) { return state.origins[o]; });
  }

  // The nodes of the chosen namespace, the connections that touch them, the
  // nodes at their other ends, and the expectations about the chosen nodes.
  function visible() {
    if (!state.ns) {
      return {
        nodes: data.nodes,
        edges: data.edges.filter(edgeOn),
        expects: data.expectations
      };
    }
    var chosen = new Set();
    data.nodes.forEach(function (n) { if (n.group === state.ns) chosen.add(n.id); });
    var edges = data.edges.filter(function (e) {
      return (chosen.has(e.source) || chosen.has(e.target)) && edgeOn(e);
    });
    var keep = new Set(chosen);
    edges.forEach(function (e) { keep.add(e.source); keep.add(e.target); });
    var expects = data.expectations.filter(function (x) {
      return x.sources.concat(x.targets).some(function (id) { return chosen.has(id); });
    });
    expects.forEach(function (x) {
      x.sources.concat(x.targets).forEach(function (id) { keep.add(id); });
    });
    return {
      nodes: data.nodes.filter(function (n) { return keep.has(n.id); }),
      edges: edges,
      expects: expects
    };
  }

  // -------------------------------------------------------------- layout
  function layout(vis) {
    var big = isGrouped(vis);
    var head = big ? HEAD_BIG : HEAD;
    var byGroup = new Map();
    vis.nodes.forEach(function (n) {
      if (!byGroup.has(n.group)) byGroup.set(n.group, []);
      byGroup.get(n.group).push(n);
    });
    var boxes = [];
    // The chosen namespace first, then the others in the model's order.
    var order = data.groups.filter(function (g) { return g.id === state.ns; })
      .concat(data.groups.filter(function (g) { return g.id !== state.ns; }));
    order.forEach(function (g) {
      var nodes = byGroup.get(g.id);
      if (!nodes) return;
      var w = 90;
      nodes.forEach(function (n) { w = Math.max(w, measure(nodeText(n)) + 20); });
      w = Math.min(w, 250);
      var cols = Math.max(1, Math.min(nodes.length, Math.round(Math.sqrt(nodes.length / 2))));
      var rows = Math.ceil(nodes.length / cols);
      var title = groupTitle(g);
      var titleW = Math.max(measure(title[0], big ? BIG : BOLD), measure(title[1])) + 2 * PAD;
      var bw = Math.max(Math.min(titleW, big ? 460 : 320), cols * w + (cols - 1) * GAP_X + 2 * PAD);
      var bh = head + rows * NODE_H + (rows - 1) * GAP_Y + PAD;
      boxes.push({ group: g, nodes: nodes, nodeW: w, cols: cols, w: bw, h: bh });
    });
    var area = 0, widest = 0;
    boxes.forEach(function (b) {
      area += (b.w + GROUP_GAP) * (b.h + GROUP_GAP);
      widest = Math.max(widest, b.w);
    });
    var rowW = Math.max(widest, Math.sqrt(area * 1.6));
    var x = MARGIN, y = MARGIN, rowH = 0, right = MARGIN;
    var rows = [];
    var nodePos = new Map();
    boxes.forEach(function (b) {
      if (x > MARGIN && x - MARGIN + b.w > rowW) {
        rows[rows.length - 1].bottom = y + rowH;
        x = MARGIN;
        y += rowH + GROUP_GAP;
        rowH = 0;
      }
      if (x === MARGIN) rows.push({ top: y, bottom: y });
      b.x = x;
      b.y = y;
      b.row = rows.length - 1;
      b.nodes.forEach(function (n, i) {
        var c = i % b.cols, r = Math.floor(i / b.cols);
        nodePos.set(n.id, {
          x: b.x + PAD + c * (b.nodeW + GAP_X),
          y: b.y + head + r * (NODE_H + GAP_Y),
          w: b.nodeW,
          h: NODE_H,
          box: b
        });
      });
      x += b.w + GROUP_GAP;
      rowH = Math.max(rowH, b.h);
      right = Math.max(right, x - GROUP_GAP);
    });
    if (rows.length) rows[rows.length - 1].bottom = y + rowH;
    return {
      boxes: boxes, nodes: nodePos, rows: rows, right: right,
      width: right + MARGIN, height: y + rowH + MARGIN, big: big
    };
  }

  // Connections shared by every node of a group (all of them shown, at
  // least two) are drawn once, from or to the group's box.
  function bundles(vis, lay) {
    if (isGrouped(vis)) return { bundles: [], used: new Set() };
    var shown = new Set(vis.nodes.map(function (n) { return n.id; }));
    var byPair = new Map();
    vis.edges.forEach(function (e) { byPair.set(e.source + '\u0000' + e.target, e); });
    var used = new Set();
    var out = [];
    var same = function (a, b) {
      return b && !used.has(b.id) && a.ports === b.ports && a.origins.join() === b.origins.join();
    };
    lay.boxes.forEach(function (b) {
      var members = data.nodes.filter(function (n) { return n.group === b.group.id; });
      if (members.length < 2 || !members.every(function (n) { return shown.has(n.id); })) return;
      var inside = new Set(members.map(function (n) { return n.id; }));
      [['from', 'source', 'target'], ['to', 'target', 'source']].forEach(function (dir) {
        vis.edges.forEach(function (e) {
          if (e[dir[1]] !== members[0].id || inside.has(e[dir[2]]) || used.has(e.id)) return;
          var all = members.map(function (n) {
            var key = dir[0] === 'from' ? n.id + '\u0000' + e.target : e.source + '\u0000' + n.id;
            var m = byPair.get(key);
            return same(e, m) ? m : null;
          });
          if (all.every(Boolean)) {
            all.forEach(function (m) { used.add(m.id); });
            out.push({ dir: dir[0], group: b.group.id, other: e[dir[2]], edge: e, members: all });
          }
        });
      });
    });
    return { bundles: out, used: used };
  }

  // A point on the border of `box` toward (tx, ty).
  function anchor(box, tx, ty) {
    var cx = box.x + box.w / 2, cy = box.y + box.h / 2;
    var dx = tx - cx, dy = ty - cy;
    if (Math.abs(dx) < 1e-6 && Math.abs(dy) < 1e-6) return [cx, cy];
    var sx = dx === 0 ? Infinity : (box.w / 2) / Math.abs(dx);
    var sy = dy === 0 ? Infinity : (box.h / 2) / Math.abs(dy);
    var k = Math.min(sx, sy);
    return [cx + dx * k, cy + dy * k];
  }

  // A curve from box a to box b, bent to the left of its direction (so the
  // two directions between a pair do not overlap); with its midpoint.
  function curve(a, b, bend) {
    if (a === b || (a.x === b.x && a.y === b.y)) {
      var x = a.x + a.w, y = a.y;
      return {
        d: 'M' + x + ',' + (y + 6) + ' C' + (x + 34) + ',' + (y - 16) + ' ' + (x + 34) + ',' + (y + a.h + 16) + ' ' + x + ',' + (y + a.h - 6),
        mid: [x + 26, y + a.h / 2]
      };
    }
    var ax = a.x + a.w / 2, ay = a.y + a.h / 2, bx = b.x + b.w / 2, by = b.y + b.h / 2;
    var dx = bx - ax, dy = by - ay, len = Math.sqrt(dx * dx + dy * dy) || 1;
    var cx = (ax + bx) / 2 - dy / len * bend * Math.min(len, 400);
    var cy = (ay + by) / 2 + dx / len * bend * Math.min(len, 400);
    var p = anchor(a, cx, cy), q = anchor(b, cx, cy);
    var d = 'M' + p[0].toFixed(1) + ',' + p[1].toFixed(1) + ' Q' + cx.toFixed(1) + ',' + cy.toFixed(1) + ' ' + q[0].toFixed(1) + ',' + q[1].toFixed(1);
    return {
      d: d,
      mid: [0.25 * p[0] + 0.5 * cx + 0.25 * q[0], 0.25 * p[1] + 0.5 * cy + 0.25 * q[1]]
    };
  }

  // A path through `points` with rounded corners.
  function polyline(points) {
    var d = 'M' + points[0][0].toFixed(1) + ',' + points[0][1].toFixed(1);
    for (var i = 1; i < points.length; i++) {
      var p = points[i];
      if (i === points.length - 1) {
        d += ' L' + p[0].toFixed(1) + ',' + p[1].toFixed(1);
        break;
      }
      var a = points[i - 1], b = points[i + 1];
      var la = Math.hypot(p[0] - a[0], p[1] - a[1]), lb = Math.hypot(b[0] - p[0], b[1] - p[1]);
      var r = Math.min(8, la / 2, lb / 2);
      var p1 = la ? [p[0] - (p[0] - a[0]) / la * r, p[1] - (p[1] - a[1]) / la * r] : p;
      var p2 = lb ? [p[0] + (b[0] - p[0]) / lb * r, p[1] + (b[1] - p[1]) / lb * r] : p;
      d += ' L' + p1[0].toFixed(1) + ',' + p1[1].toFixed(1) +
        ' Q' + p[0].toFixed(1) + ',' + p[1].toFixed(1) + ' ' + p2[0].toFixed(1) + ',' + p2[1].toFixed(1);
    }
    return d;
  }

  // A small spread for line `lane`: parallel lines in one gutter stay apart.
  function spread(lane, n, step) {
    return ((lane % n) - (n - 1) / 2) * step;
  }

  // The way from rectangle `a` (a node, or a namespace's box) in box `ab` to
  // `b` in box `bb`, through the gutters: out of `a`'s box up or down into
  // the gutter beside its row, along it (and, between rows that are not
  // next to each other, down or up a channel in the margin), and into `b`'s
  // box from the gutter beside its row. Inside one box: a curve. With the
  // point for its label (on the way into `b`).
  function route(a, ab, b, bb, lane, lay) {
    if (ab === bb) return curve(a, b, 0.12);
    var rows = lay.rows, ra = ab.row, rb = bb.row;
    var off = spread(lane, 7, 2.6);
    var ax = a.x + a.w / 2 + spread(lane, 5, a.w / 8);
    var bx = b.x + b.w / 2 + spread(lane + 2, 5, b.w / 8);
    var up = rb <= ra;
    var ys = up ? rows[ra].top - GROUP_GAP / 2 + off : rows[ra].bottom + GROUP_GAP / 2 + off;
    var start = [ax, up ? a.y : a.y + a.h];
    var pts;
    var yt = rb === ra ? ys
      : rb > ra ? rows[rb].top - GROUP_GAP / 2 + off : rows[rb].bottom + GROUP_GAP / 2 + off;
    // Into b from above when the gutter is above its row, else from below.
    var end = [bx, yt < bb.y ? b.y : b.y + b.h];
    if (Math.abs(yt - ys) < 0.01) {
      pts = [start, [ax, ys], [bx, ys], end];
    } else {
      var left = (ax + bx) / 2 < (MARGIN + lay.right) / 2;
      var xv = left ? MARGIN / 2 + spread(lane, 13, 4.5) : lay.right + MARGIN / 2 + spread(lane, 13, 4.5);
      pts = [start, [ax, ys], [xv, ys], [xv, yt], [bx, yt], end];
    }
    var last = pts[pts.length - 2], before = pts[pts.length - 3];
    return { d: polyline(pts), mid: [(last[0] + before[0]) / 2, last[1]] };
  }

  // -------------------------------------------------------------- drawing
  function markers() {
    var defs = s('defs');
    Object.keys(COLORS).forEach(function (k) {
      var m = s('marker', {
        id: 'arrow-' + k, viewBox: '0 0 10 10', refX: '9', refY: '5',
        markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse'
      });
      m.appendChild(s('path', { d: 'M0,0L10,5L0,10z', fill: COLORS[k] }));
      defs.appendChild(m);
      var t = s('marker', {
        id: 'tee-' + k, viewBox: '0 0 10 10', refX: '9', refY: '5',
        markerWidth: '8', markerHeight: '8', orient: 'auto'
      });
      t.appendChild(s('path', { d: 'M9,0L9,10', stroke: COLORS[k], 'stroke-width': '3' }));
      defs.appendChild(t);
    });
    return defs;
  }

  function render() {
    var vis = visible();
    var lay = layout(vis);
    var b = bundles(vis, lay);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.appendChild(markers());
    var root = s('g', { id: 'viewport' });
    svg.appendChild(root);
    var layers = {};
    ['groups', 'edges', 'expects', 'focus', 'nodes', 'ports', 'labels'].forEach(function (k) {
      layers[k] = s('g', { 'class': 'layer-' + k });
      root.appendChild(layers[k]);
    });
    var boxOf = new Map();
    lay.boxes.forEach(function (box) {
      boxOf.set(box.group.id, box);
      var g = s('g', { 'class': 'group ' + box.group.kind, 'data-id': box.group.id });
      g.appendChild(s('rect', { x: box.x, y: box.y, width: box.w, height: box.h, rx: 8 }));
      var title = groupTitle(box.group);
      var t = s('text', { x: box.x + PAD, y: box.y + (lay.big ? 27 : 17) });
      if (lay.big) t.setAttribute('style', 'font-size:24px');
      t.textContent = truncate(title[0], box.w - 2 * PAD, lay.big ? BIG : BOLD);
      g.appendChild(t);
      var sub = s('text', { x: box.x + PAD, y: box.y + (lay.big ? 43 : 31), 'class': 'sub' });
      sub.textContent = truncate(title[1], box.w - 2 * PAD);
      sub.setAttribute('style', 'font-size:11px;font-weight:400;fill:#4b5563');
      g.appendChild(sub);
      var tip = s('title');
      tip.textContent = title.join(' · ');
      g.appendChild(tip);
      layers.groups.appendChild(g);
    });
    var edgeEls = new Map();
    var lane = 0;
    function addPath(a, ab, bx, bb, cls, origin, dataAttrs, hitCls, title, onclick) {
      var c = route(a, ab, bx, bb, lane++, lay);
      dataAttrs['data-from-group'] = ab.group.id;
      dataAttrs['data-to-group'] = bb.group.id;
      var p = s('path', {
        d: c.d, 'class': cls, 'marker-end': 'url(#arrow-' + origin + ')'
      });
      var hit = s('path', { d: c.d, 'class': hitCls });
      Object.keys(dataAttrs).forEach(function (k) {
        p.setAttribute(k, dataAttrs[k]);
        hit.setAttribute(k, dataAttrs[k]);
      });
      var tip = s('title');
      tip.textContent = title;
      hit.appendChild(tip);
      hit.addEventListener('click', function (ev) { ev.stopPropagation(); onclick(); });
      layers.edges.appendChild(p);
      layers.edges.appendChild(hit);
      return { path: p, hit: hit, mid: c.mid };
    }
    var grouped = isGrouped(vis);
    var nodeGroup = new Map(vis.nodes.map(function (n) { return [n.id, n.group]; }));
    var aggregates = new Map();
    vis.edges.forEach(function (e) {
      if (b.used.has(e.id)) return;
      var sg = nodeGroup.get(e.source), tg = nodeGroup.get(e.target);
      if (grouped && sg !== tg) {
        var key = sg + '\u0000' + tg;
        if (!aggregates.has(key)) aggregates.set(key, { source: sg, target: tg, members: [] });
        aggregates.get(key).members.push(e);
        return;
      }
      var a = lay.nodes.get(e.source), t = lay.nodes.get(e.target);
      if (!a || !t) return;
      var origin = styleOrigin(e);
      var r = addPath(a, a.box, t, t.box, 'edge ' + origin, origin, { 'data-id': e.id }, 'edge-hit',
        e.id + ': ' + e.ports, function () { select({ type: 'edge', id: e.id }); });
      r.edge = e;
      r.members = [e];
      edgeEls.set(e.id, r);
    });
    var bundleEls = [];
    b.bundles.forEach(function (bd, i) {
      var gbox = boxOf.get(bd.group);
      var other = lay.nodes.get(bd.other);
      if (!gbox || !other) return;
      var from = bd.dir === 'from' ? gbox : other, to = bd.dir === 'from' ? other : gbox;
      var origin = styleOrigin(bd.edge);
      var r = addPath(from, from.box || from, to, to.box || to, 'edge bundle ' + origin, origin, {
        'data-bundle': String(i),
        'data-members': JSON.stringify(bd.members.map(function (m) { return m.id; }))
      }, 'edge-hit bundle-hit', bundleTitle(bd) + ': ' + bd.edge.ports,
      function () { select({ type: 'bundle', index: i }); });
      r.edge = bd.edge;
      r.members = bd.members;
      r.bundle = bd;
      bundleEls.push(r);
    });
    var aggEls = [];
    aggregates.forEach(function (ag) {
      var from = boxOf.get(ag.source), to = boxOf.get(ag.target);
      if (!from || !to) return;
      var origins = [];
      ORIGINS.forEach(function (o) {
        if (ag.members.some(function (e) { return e.origins.indexOf(o) >= 0; })) origins.push(o);
      });
      ag.origins = origins;
      var origin = origins[0] || 'allow';
      var i = aggEls.length;
      var n = ag.members.length;
      var r = addPath(from, from, to, to, 'edge agg ' + origin, origin, {
        'data-agg': String(i),
        'data-members': JSON.stringify(ag.members.map(function (m) { return m.id; })),
        style: 'stroke-width:' + (1.2 + Math.log2(n)).toFixed(2)
      }, 'edge-hit agg-hit', aggTitle(ag),
      function () { select({ type: 'agg', index: i }); });
      r.agg = ag;
      r.members = ag.members;
      aggEls.push(r);
    });
    // Ports on the lines, where there are few enough to read.
    var lines = [];
    edgeEls.forEach(function (r) { lines.push([r.mid, r.edge]); });
    bundleEls.forEach(function (r) { lines.push([r.mid, r.edge]); });
    if (lines.length <= LABELED_LINES) {
      lines.forEach(function (l) {
        var o = styleOrigin(l[1]);
        var t = s('text', {
          x: l[0][0].toFixed(1), y: (l[0][1] - 4).toFixed(1), 'text-anchor': 'middle',
          'class': 'edge-label port-label ' + o
        });
        t.textContent = edgeLabel(l[1]);
        layers.ports.appendChild(t);
      });
    }
    var expectEls = [];
    vis.expects.forEach(function (x) {
      var xi = data.expectations.indexOf(x);
      var cls = x.holds ? 'holds' : 'fails';
      x.sources.forEach(function (src) {
        x.targets.forEach(function (dst) {
          var a = lay.nodes.get(src), t = lay.nodes.get(dst);
          if (!a || !t) return;
          var c = curve(a, t, -0.22);
          var p = s('path', {
            d: c.d, 'class': 'expect-line ' + cls, 'data-expect': String(xi),
            'marker-end': 'url(#' + (x.allow ? 'arrow-' : 'tee-') + cls + ')'
          });
          layers.expects.appendChild(p);
          var mark = s('text', {
            x: c.mid[0].toFixed(1), y: (c.mid[1] + 4).toFixed(1), 'text-anchor': 'middle',
            'class': 'expect-mark-text ' + cls, 'data-expect': String(xi)
          });
          mark.textContent = x.holds ? '✓' : '✗';
          var tip = s('title');
          tip.textContent = x.text + ' (' + x.location + '): ' + (x.holds ? 'holds' : 'FAILS');
          mark.appendChild(tip);
          mark.addEventListener('click', function (ev) { ev.stopPropagation(); select({ type: 'expect', index: xi }); });
          layers.expects.appendChild(mark);
          expectEls.push({ path: p, mark: mark, expect: x, index: xi, source: src, target: dst });
        });
      });
    });
    var nodeEls = new Map();
    vis.nodes.forEach(function (n) {
      var p = lay.nodes.get(n.id);
      var cls = 'node ' + n.kind;
      if (n.kind !== 'external') {
        if (openIngress(n)) cls += ' open-ingress';
        if (openEgress(n)) cls += ' open-egress';
      }
      var g = s('g', { 'class': cls, 'data-id': n.id, transform: 'translate(' + p.x + ',' + p.y + ')' });
      g.appendChild(s('rect', { width: p.w, height: p.h, rx: 5 }));
      var t = s('text', { x: 8, y: 17 });
      t.textContent = truncate(nodeText(n), p.w - 14);
      g.appendChild(t);
      var tip = s('title');
      tip.textContent = n.id + '\n' + n.description + (openText(n) ? '\n' + openText(n) : '');
      g.appendChild(tip);
      g.addEventListener('click', function (ev) { ev.stopPropagation(); select({ type: 'node', id: n.id }); });
      layers.nodes.appendChild(g);
      nodeEls.set(n.id, g);
    });
    drawn = {
      vis: vis, lay: lay, root: root, layers: layers, nodeEls: nodeEls, grouped: grouped,
      edgeEls: edgeEls, bundleEls: bundleEls, aggEls: aggEls, expectEls: expectEls
    };
    var toggle = document.getElementById('grouped');
    if (toggle) toggle.checked = grouped;
    svg.classList.toggle('hide-expect', !state.showExpect);
    applyView();
    highlight();
  }

  // An aggregate's tooltip: its connections with their ports (the first 12).
  function aggTitle(ag) {
    var n = ag.members.length;
    var lines = [ag.source + ' -> ' + ag.target + ': ' + n + ' connection' + (n === 1 ? '' : 's')];
    ag.members.slice(0, 12).forEach(function (e) { lines.push(e.id + ': ' + e.ports); });
    if (n > 12) lines.push('… and ' + (n - 12) + ' more (click for all)');
    return lines.join('\n');
  }

  function isGrouped(vis) {
    if (state.grouped !== null) return state.grouped;
    return !state.ns && vis.nodes.length > OVERVIEW_NODES;
  }

  function openText(n) {
    if (n.kind === 'external') return '';
    var i = openIngress(n), e = openEgress(n);
    if (i && e) return 'open: no policy isolates its ingress or egress';
    if (i) return 'open ingress: no policy isolates it';
    if (e) return 'open egress: no policy isolates it';
    return '';
  }

  function bundleTitle(bd) {
    var g = groupById.get(bd.group);
    var who = g && g.kind === 'external' ? 'every address range' : 'every endpoint in ' + bd.group;
    return bd.dir === 'from' ? who + ' -> ' + bd.other : bd.other + ' -> ' + who;
  }

  // ---------------------------------------------------------- pan and zoom
  function applyView() {
    if (!drawn) return;
    var v = state.view;
    drawn.root.setAttribute('transform', 'translate(' + v.x.toFixed(2) + ',' + v.y.toFixed(2) + ') scale(' + v.k.toFixed(4) + ')');
  }

  function fit() {
    if (!drawn) return;
    var r = svg.getBoundingClientRect();
    var w = Math.max(drawn.lay.width, 1), hgt = Math.max(drawn.lay.height, 1);
    var k = Math.min((r.width - 40) / w, (r.height - 40) / hgt, 1.5);
    k = Math.max(k, 0.05);
    state.view = { k: k, x: (r.width - w * k) / 2, y: Math.max(20, (r.height - hgt * k) / 2) };
    applyView();
  }

  function zoomAt(px, py, factor) {
    var v = state.view;
    var k = Math.min(4, Math.max(0.05, v.k * factor));
    var ratio = k / v.k;
    v.x = px - (px - v.x) * ratio;
    v.y = py - (py - v.y) * ratio;
    v.k = k;
    applyView();
  }

  function centerOn(id) {
    var p = drawn && drawn.lay.nodes.get(id);
    if (!p) return;
    var r = svg.getBoundingClientRect();
    var k = Math.max(state.view.k, 1);
    state.view = { k: k, x: r.width / 2 - (p.x + p.w / 2) * k, y: r.height / 2 - (p.y + p.h / 2) * k };
    applyView();
  }

  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var r = svg.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });

  // A drag anywhere pans (after a few pixels); a click without a drag
  // selects what is under it, or clears the selection on the background.
  var pan = null;
  var swallowClick = false;
  svg.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    var t = ev.target;
    var onItem = !!(t.closest && (t.closest('.node') || t.closest('.edge-hit') || t.closest('.expect-mark-text')));
    pan = { x: ev.clientX, y: ev.clientY, vx: state.view.x, vy: state.view.y, moved: false, id: ev.pointerId, onItem: onItem };
  });
  svg.addEventListener('pointermove', function (ev) {
    if (!pan) return;
    var dx = ev.clientX - pan.x, dy = ev.clientY - pan.y;
    if (!pan.moved && Math.abs(dx) + Math.abs(dy) > 4) {
      pan.moved = true;
      svg.setPointerCapture(pan.id);
      svg.classList.add('panning');
    }
    if (!pan.moved) return;
    state.view.x = pan.vx + dx;
    state.view.y = pan.vy + dy;
    applyView();
  });
  function endPan(ev) {
    if (!pan) return;
    var p = pan;
    pan = null;
    if (svg.hasPointerCapture(p.id)) svg.releasePointerCapture(p.id);
    svg.classList.remove('panning');
    if (p.moved) swallowClick = true;
    else if (!p.onItem && ev.type === 'pointerup') select(null);
  }
  svg.addEventListener('pointerup', endPan);
  svg.addEventListener('pointercancel', endPan);
  // The click that ends a drag selects nothing.
  svg.addEventListener('click', function (ev) {
    if (!swallowClick) return;
    swallowClick = false;
    ev.stopPropagation();
  }, true);
  svg.addEventListener('pointerdown', function () { swallowClick = false; }, true);

  document.getElementById('zoom-in').addEventListener('click', function () {
    var r = svg.getBoundingClientRect();
    zoomAt(r.width / 2, r.height / 2, 1.25);
  });
  document.getElementById('zoom-out').addEventListener('click', function () {
    var r = svg.getBoundingClientRect();
    zoomAt(r.width / 2, r.height / 2, 0.8);
  });
  document.getElementById('fit').addEventListener('click', fit);
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') select(null);
  });

  // ------------------------------------------------------------ selection
  function select(sel) {
    state.selection = sel;
    highlight();
    showPanel();
  }

  function highlight() {
    if (!drawn) return;
    var sel = state.selection;
    var relNodes = new Set(), relEdges = new Set(), relExpect = new Set();
    if (sel && sel.type === 'node') {
      relNodes.add(sel.id);
      drawn.vis.edges.forEach(function (e) {
        if (e.source === sel.id || e.target === sel.id) relEdges.add(e.id);
      });
      drawn.expectEls.forEach(function (x) {
        if (x.source === sel.id || x.target === sel.id) relExpect.add(x);
      });
    } else if (sel && sel.type === 'edge') {
      var e = edgeById.get(sel.id);
      if (e) {
        relEdges.add(e.id);
        drawn.expectEls.forEach(function (x) {
          if (x.source === e.source && x.target === e.target) relExpect.add(x);
        });
      }
    } else if (sel && (sel.type === 'bundle' || sel.type === 'agg')) {
      var list = sel.type === 'bundle' ? drawn.bundleEls : drawn.aggEls;
      var r0 = list[sel.index];
      if (r0) r0.members.forEach(function (m) { relEdges.add(m.id); });
    } else if (sel && sel.type === 'expect') {
      drawn.expectEls.forEach(function (x) {
        if (x.index === sel.index) {
          relExpect.add(x);
          relNodes.add(x.source);
          relNodes.add(x.target);
          var e = edgeById.get(x.source + ' -> ' + x.target);
          if (e) relEdges.add(e.id);
        }
      });
    }
    relEdges.forEach(function (id) {
      var e = edgeById.get(id);
      relNodes.add(e.source);
      relNodes.add(e.target);
    });
    svg.classList.toggle('focus', !!sel);
    drawn.nodeEls.forEach(function (g, id) {
      g.classList.toggle('related', relNodes.has(id));
      g.classList.toggle('selected', !!sel && sel.type === 'node' && sel.id === id);
    });
    var labels = [];
    var drawnEdges = new Set();
    var showAll = sel && (sel.type === 'bundle' || sel.type === 'agg');
    [drawn.edgeEls, drawn.bundleEls, drawn.aggEls].forEach(function (coll) {
      coll.forEach(function (r) {
        var on = r.members.some(function (m) { return relEdges.has(m.id); });
        r.path.classList.toggle('related', on);
        if (!on) return;
        if (r.members.length === 1 || r.bundle || showAll) {
          r.members.forEach(function (m) { drawnEdges.add(m.id); });
          labels.push([r.mid, r.edge || r.members[0]]);
        }
      });
    });
    // Related connections hidden in an aggregate are drawn one by one.
    var focus = drawn.layers.focus;
    while (focus.firstChild) focus.removeChild(focus.firstChild);
    relEdges.forEach(function (id) {
      if (drawnEdges.has(id)) return;
      var e = edgeById.get(id);
      var a = drawn.lay.nodes.get(e.source), t = drawn.lay.nodes.get(e.target);
      if (!a || !t) return;
      var c = route(a, a.box, t, t.box, 0, drawn.lay);
      var origin = styleOrigin(e);
      var p = s('path', {
        d: c.d, 'class': 'edge related ' + origin, 'data-id': e.id,
        'marker-end': 'url(#arrow-' + origin + ')'
      });
      focus.appendChild(p);
      var hit = s('path', { d: c.d, 'class': 'edge-hit', 'data-id': e.id });
      var tip = s('title');
      tip.textContent = e.id + ': ' + e.ports;
      hit.appendChild(tip);
      hit.addEventListener('click', function (ev) { ev.stopPropagation(); select({ type: 'edge', id: e.id }); });
      focus.appendChild(hit);
      labels.push([c.mid, e]);
    });
    drawn.expectEls.forEach(function (x) { x.path.classList.toggle('related', relExpect.has(x)); });
    var layer = drawn.layers.labels;
    while (layer.firstChild) layer.removeChild(layer.firstChild);
    labels.slice(0, 300).forEach(function (l) {
      var origin = styleOrigin(l[1]);
      var t = s('text', {
        x: l[0][0].toFixed(1), y: (l[0][1] - 4).toFixed(1), 'text-anchor': 'middle',
        'class': 'edge-label ' + origin
      });
      t.textContent = edgeLabel(l[1]);
      layer.appendChild(t);
    });
  }

  // ---------------------------------------------------------------- panel
  function badge(kind, text) {
    return h('span', { 'class': 'badge ' + kind, text: text || kind });
  }

  function back() {
    return h('p', {}, h('a', { href: '#', onclick: function (ev) { ev.preventDefault(); select(null); } }, '← overview'));
  }

  function policyList(side) {
    return side.policies.map(function (p) {
      return p.policy + (p.lines.length ? ' (' + p.lines.join(', ') + ')' : '');
    }).join(', ');
  }

  function connectionTable(edges, other, head) {
    if (!edges.length) return h('p', { 'class': 'muted', text: 'none' });
    var table = h('table', {}, h('tr', {}, h('th', { text: head }), h('th', { text: 'ports' }), h('th', { text: 'origin' })));
    edges.forEach(function (e) {
      var origins = h('td', {});
      e.origins.forEach(function (o) { origins.appendChild(badge(o)); });
      var row = h('tr', { 'class': 'link', 'data-edge': e.id, onclick: function () { select({ type: 'edge', id: e.id }); } },
        h('td', { 'class': 'mono', text: e[other] }), h('td', { 'class': 'mono', text: e.ports }), origins);
      table.appendChild(row);
    });
    return table;
  }

  function expectList(list) {
    var ul = h('ul', {});
    list.forEach(function (x) {
      var i = data.expectations.indexOf(x);
      ul.appendChild(h('li', { 'class': 'link', 'data-expect': String(i), onclick: function () { select({ type: 'expect', index: i }); } },
        badge(x.holds ? 'holds' : 'fails', x.holds ? '✓ holds' : '✗ fails'),
        h('span', { 'class': 'mono', text: x.text }), ' ', h('span', { 'class': 'muted', text: x.location })));
    });
    return ul;
  }

  function sideText(side, dir, n) {
    if (!side) return 'an address: no policy selects it';
    if (!side.isolated) {
      return dir === 'egress'
        ? 'open: no policy isolates its egress, it may connect anywhere that accepts it'
        : 'open: no policy isolates its ingress, every source whose egress allows it may connect';
    }
    return 'isolated by ' + policyList(side);
  }

  function nodePanel(n) {
    var g = groupById.get(n.group);
    var out = [back(), h('h2', { text: n.id }),
      h('p', {}, badge('open', n.kind), h('span', { text: n.description })),
      h('p', { text: 'stands for ' + n.stands_for.join(', ') })];
    if (g) out.push(h('p', { 'class': 'muted', text: 'in ' + groupTitle(g).join(' · ') }));
    if (n.inside && n.inside.length) {
      out.push(h('p', { 'class': 'muted', text: 'inside ' + n.inside.join(', ') + ': the connections of those ranges apply here too' }));
    }
    var outs = outEdges.get(n.id) || [], ins = inEdges.get(n.id) || [];
    out.push(h('h3', { text: 'egress: ' + outs.length + ' connection' + (outs.length === 1 ? '' : 's') }));
    out.push(h('p', { 'class': 'muted', text: sideText(n.egress, 'egress', n) }));
    out.push(connectionTable(outs, 'target', 'to'));
    out.push(h('h3', { text: 'ingress: ' + ins.length + ' connection' + (ins.length === 1 ? '' : 's') }));
    out.push(h('p', { 'class': 'muted', text: sideText(n.ingress, 'ingress', n) }));
    out.push(connectionTable(ins, 'source', 'from'));
    var xs = data.expectations.filter(function (x) { return x.sources.indexOf(n.id) >= 0 || x.targets.indexOf(n.id) >= 0; });
    if (xs.length) {
      out.push(h('h3', { text: 'expectations' }));
      out.push(expectList(xs));
    }
    return out;
  }

  // Rules, their lines and trace lines are stored once in the model; an
  // edge refers to them by index.
  function edgeDetails(e) {
    var set = data.rule_sets[e.rule_set] || { rules: [], lines: [] };
    return {
      lines: set.lines,
      rules: set.rules.map(function (i) { return data.rules[i]; }).filter(Boolean),
      trace: e.trace.map(function (i) { return data.traces[i]; }).filter(function (t) { return t !== undefined; })
    };
  }

  function edgePanel(e) {
    var details = edgeDetails(e);
    var origins = h('p', {});
    e.origins.forEach(function (o) { origins.appendChild(badge(o, o + ': ' + ORIGIN_TEXT[o])); });
    var out = [back(), h('h2', { text: e.source + ' → ' + e.target }),
      h('p', {}, h('b', { text: 'ports: ' }), h('span', { 'class': 'mono', text: e.ports })), origins];
    if (details.lines.length) {
      out.push(h('h3', { text: MANIFESTS ? 'manifest lines' : '.npl lines' }));
      out.push(h('ul', {}, ...details.lines.map(function (l) { return h('li', { 'class': 'mono', text: l }); })));
    }
    out.push(h('h3', { text: MANIFESTS ? 'trace' : 'trace (npc explain)' }));
    out.push(h('div', { 'class': 'trace', text: details.trace.join('\n') }));
    if (details.rules.length) {
      out.push(h('h3', { text: 'rules' }));
      var table = h('table', {}, h('tr', {}, h('th', { text: 'policy' }), h('th', { text: 'rule' }), h('th', { text: 'origin' }), h('th', { text: 'lines' })));
      details.rules.forEach(function (r) {
        var o = h('td', {});
        r.origins.forEach(function (x) { o.appendChild(badge(x)); });
        table.appendChild(h('tr', {}, h('td', { 'class': 'mono', text: r.policy }),
          h('td', { text: r.direction + ' rule ' + r.rule }), o, h('td', { 'class': 'mono', text: r.lines.join(', ') })));
      });
      out.push(table);
    }
    out.push(h('p', {}, 'endpoints: ',
      h('a', { href: '#', onclick: function (ev) { ev.preventDefault(); select({ type: 'node', id: e.source }); } }, e.source), ', ',
      h('a', { href: '#', onclick: function (ev) { ev.preventDefault(); select({ type: 'node', id: e.target }); } }, e.target)));
    var xs = data.expectations.filter(function (x) { return x.sources.indexOf(e.source) >= 0 && x.targets.indexOf(e.target) >= 0; });
    if (xs.length) {
      out.push(h('h3', { text: 'expectations' }));
      out.push(expectList(xs));
    }
    return out;
  }

  function bundlePanel(bd) {
    var out = [back(), h('h2', { text: bundleTitle(bd) }),
      h('p', {}, h('b', { text: 'ports: ' }), h('span', { 'class': 'mono', text: bd.edge.ports })),
      h('p', { 'class': 'muted', text: 'the same connection for each of these ' + bd.members.length + ' endpoints:' })];
    out.push(connectionTable(bd.members, bd.dir === 'from' ? 'source' : 'target', bd.dir === 'from' ? 'from' : 'to'));
    return out;
  }

  function aggPanel(ag) {
    var out = [back(), h('h2', { text: ag.source + ' → ' + ag.target }),
      h('p', { 'class': 'muted', text: ag.members.length + ' connection' + (ag.members.length === 1 ? '' : 's') + ' between these namespaces:' })];
    var table = h('table', {}, h('tr', {}, h('th', { text: 'from' }), h('th', { text: 'to' }), h('th', { text: 'ports' }), h('th', { text: 'origin' })));
    ag.members.forEach(function (e) {
      var origins = h('td', {});
      e.origins.forEach(function (o) { origins.appendChild(badge(o)); });
      table.appendChild(h('tr', { 'class': 'link', 'data-edge': e.id, onclick: function () { select({ type: 'edge', id: e.id }); } },
        h('td', { 'class': 'mono', text: e.source }), h('td', { 'class': 'mono', text: e.target }),
        h('td', { 'class': 'mono', text: e.ports }), origins));
    });
    out.push(table);
    return out;
  }

  function expectPanel(x) {
    var out = [back(), h('h2', { text: x.text }),
      h('p', {}, badge(x.holds ? 'holds' : 'fails', x.holds ? '✓ holds' : '✗ fails'), h('span', { 'class': 'mono', text: x.location }))];
    if (x.failure.length) out.push(h('div', { 'class': 'trace', text: x.failure.join('\n') }));
    out.push(h('p', { text: 'from ' + x.sources.join(', ') }));
    out.push(h('p', { text: 'to ' + x.targets.join(', ') }));
    var edges = [];
    x.sources.forEach(function (a) {
      x.targets.forEach(function (b) {
        var e = edgeById.get(a + ' -> ' + b);
        if (e) edges.push(e);
      });
    });
    out.push(h('h3', { text: 'allowed between them' }));
    out.push(connectionTable(edges, 'target', 'to'));
    return out;
  }

  function legendRow(origin) {
    var box = h('input', { type: 'checkbox', 'data-origin': origin });
    box.checked = state.origins[origin];
    box.addEventListener('change', function () {
      state.origins[origin] = box.checked;
      render();
    });
    var sample = s('svg', { width: '44', height: '10' });
    var line = s('line', { x1: '2', y1: '5', x2: '40', y2: '5', 'class': 'edge ' + origin, style: 'opacity:1;stroke-width:2' });
    sample.appendChild(line);
    return h('label', { 'class': 'legend-row' }, box, sample, h('span', { text: ORIGIN_TEXT[origin] }));
  }

  function summaryPanel() {
    var failing = data.expectations.filter(function (x) { return !x.holds; }).length;
    var namespaces = data.groups.filter(function (g) { return g.kind !== 'external'; }).length;
    var out = [h('h2', { text: MANIFESTS ? 'npc analyze' : 'npc graph' }),
      h('p', { 'class': 'mono', text: data.title }),
      h('p', { id: 'counts', text: namespaces + ' namespace groups, ' + data.nodes.length + ' endpoints, ' + data.edges.length + ' connections' + (MANIFESTS ? '' : ', ' + data.expectations.length + ' expectations (' + failing + ' failing)') }),
      h('p', { 'class': 'muted', text: 'Click an endpoint for its ingress and egress, a connection for its trace. Drag to pan, scroll to zoom.' }),
      h('h3', { text: 'legend' })];
    // Manifests have no carve-outs and no expect lines.
    (MANIFESTS ? ['allow'] : ORIGINS).forEach(function (o) { out.push(legendRow(o)); });
    if (!MANIFESTS) {
      out.push(h('div', { 'class': 'legend-row' }, h('span', { 'class': 'ok', text: '✓ ⇢' }), h('span', { text: 'expectation holds (⊣ on a deny)' })));
      out.push(h('div', { 'class': 'legend-row' }, h('span', { 'class': 'bad', text: '✗ ⇢' }), h('span', { text: 'expectation fails' })));
    }
    out.push(h('div', { 'class': 'legend-row' }, h('span', { 'class': 'mono', text: '┄ box' }), h('span', { text: 'dashed border: open, no policy isolates that direction; such connections need no rule and are not drawn' })));
    out.push(h('div', { 'class': 'legend-row' }, h('span', { 'class': 'mono', text: '━ box' }), h('span', { text: 'a line from or to a namespace box: the same connection for every endpoint in it; with \u201cby namespace\u201d on, all connections between two namespaces (thicker: more)' })));
    if (data.expectations.length) {
      out.push(h('h3', { text: 'expectations' }));
      out.push(expectList(data.expectations.filter(function (x) { return !x.holds; }).concat(data.expectations.filter(function (x) { return x.holds; }))));
    }
    return out;
  }

  function showPanel() {
    var sel = state.selection, content;
    if (sel && sel.type === 'node' && nodeById.has(sel.id)) content = nodePanel(nodeById.get(sel.id));
    else if (sel && sel.type === 'edge' && edgeById.has(sel.id)) content = edgePanel(edgeById.get(sel.id));
    else if (sel && sel.type === 'bundle' && drawn && drawn.bundleEls[sel.index]) content = bundlePanel(drawn.bundleEls[sel.index].bundle);
    else if (sel && sel.type === 'agg' && drawn && drawn.aggEls[sel.index]) content = aggPanel(drawn.aggEls[sel.index].agg);
    else if (sel && sel.type === 'expect' && data.expectations[sel.index]) content = expectPanel(data.expectations[sel.index]);
    else content = summaryPanel();
    while (panel.firstChild) panel.removeChild(panel.firstChild);
    content.forEach(function (c) { panel.appendChild(c); });
    panel.scrollTop = 0;
  }

  // -------------------------------------------------------------- toolbar
  data.groups.forEach(function (g) {
    var count = data.nodes.filter(function (n) { return n.group === g.id; }).length;
    var o = h('option', { value: g.id, text: groupTitle(g)[0] + ' (' + count + ')' });
    nsFilter.appendChild(o);
  });
  nsFilter.addEventListener('change', function () {
    state.ns = nsFilter.value;
    state.grouped = null;
    var sel = state.selection;
    render();
    fit();
    if (sel && sel.type === 'node' && !drawn.nodeEls.has(sel.id)) select(null);
  });
  var ids = document.getElementById('node-ids');
  data.nodes.forEach(function (n) { ids.appendChild(h('option', { value: n.id })); });
  function find() {
    var id = findInput.value.trim();
    if (!nodeById.has(id)) return;
    if (!drawn.nodeEls.has(id)) {
      state.ns = '';
      nsFilter.value = '';
      render();
    }
    select({ type: 'node', id: id });
    centerOn(id);
  }
  findInput.addEventListener('change', find);
  findInput.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') find(); });
  document.getElementById('grouped').addEventListener('change', function (ev) {
    state.grouped = ev.target.checked;
    var sel = state.selection;
    render();
    if (sel && (sel.type === 'bundle' || sel.type === 'agg')) select(null);
  });
  var showExpect = document.getElementById('show-expect');
  if (showExpect) {
    showExpect.addEventListener('change', function (ev) {
      state.showExpect = ev.target.checked;
      svg.classList.toggle('hide-expect', !state.showExpect);
    });
  }
  window.addEventListener('resize', function () { fit(); });

  render();
  fit();
  showPanel();
  // For tests and the curious: what is drawn.
  window.npcGraph = {
    data: data,
    shown: function () {
      var edges = [];
      [drawn.edgeEls, drawn.bundleEls, drawn.aggEls].forEach(function (coll) {
        coll.forEach(function (r) { r.members.forEach(function (m) { edges.push(m.id); }); });
      });
      return { nodes: Array.from(drawn.nodeEls.keys()), edges: edges, grouped: drawn.grouped };
    },
    select: select
  };
})();
