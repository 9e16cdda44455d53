// The cdk8s-plus side of the same-intent benchmark: synthesizes, with
// cdk8s-plus-32 NetworkPolicy objects, the intent that
// `npc-gen --shape cdk8s` writes in NPL (benches/gen/src/lib.rs):
//
//   - namespaces team-0 .. team-(N-1), each isolated in both directions,
//     with DNS egress to kube-system/{k8s-app=kube-dns} on 53/udp and 53/tcp
//     (npc's default carve-out);
//   - workloads svc-0 .. svc-(W-1) in each, svc-K served on TCP 8000+K;
//   - svc-K calls svc-(K+1 mod W) of its namespace and svc-K of the next
//     namespace; every tenth workload reaches 0.0.0.0/0 on TCP 443.
//
// Each connection is written on both sides, as npc does: an egress rule on
// the caller's policy (addEgressRule) and an ingress rule on the callee's
// (addIngressRule). One policy per workload, plus a default-deny and a DNS
// policy per namespace: the same objects npc emits.
//
// Usage: node synth.js NAMESPACES WORKLOADS OUTDIR
'use strict';

const { App, Chart, YamlOutputType } = require('cdk8s');
const kplus = require('cdk8s-plus-32');

const [namespaces, workloads] = process.argv.slice(2, 4).map((v) => Number.parseInt(v, 10));
const outdir = process.argv[4];
if (!(namespaces > 0) || !(workloads > 0) || !outdir) {
  console.error('usage: node synth.js NAMESPACES WORKLOADS OUTDIR');
  process.exit(2);
}

const namespace = (i) => `team-${i}`;
const workload = (k) => `svc-${k}`;
const port = (k) => 8000 + k;

const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
const chart = new Chart(app, 'policies', { disableResourceNameHashes: true });
const { DENY } = kplus.NetworkPolicyTrafficDefault;

// Peers are constructs (ids unique in the chart), made once per workload
// and namespace and reused by every rule that names them.
const namespaceSelectors = new Map();
const podSelectors = new Map();
const pods = (ns, app) => {
  const key = `${ns}/${app}`;
  let peer = podSelectors.get(key);
  if (!peer) {
    let namespaces = namespaceSelectors.get(ns);
    if (!namespaces) {
      namespaces = kplus.Namespaces.select(chart, `namespace-${ns}`, { names: [ns] });
      namespaceSelectors.set(ns, namespaces);
    }
    peer = kplus.Pods.select(chart, `pods-${key}`, { labels: { app }, namespaces });
    podSelectors.set(key, peer);
  }
  return peer;
};
const anyIpv4 = kplus.NetworkPolicyIpBlock.anyIpv4(chart, 'any-ipv4');
const kubeDns = kplus.Pods.select(chart, 'kube-dns', {
  labels: { 'k8s-app': 'kube-dns' },
  namespaces: kplus.Namespaces.select(chart, 'namespace-kube-system', { names: ['kube-system'] }),
});

for (let i = 0; i < namespaces; i++) {
  const ns = namespace(i);
  new kplus.NetworkPolicy(chart, `${ns}-default-deny`, {
    metadata: { name: 'default-deny', namespace: ns },
    ingress: { default: DENY },
    egress: { default: DENY },
  });
  const dns = new kplus.NetworkPolicy(chart, `${ns}-allow-dns`, {
    metadata: { name: 'allow-dns', namespace: ns },
    egress: { default: DENY },
  });
  dns.addEgressRule(kubeDns, [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
}

// One policy per workload, created on first use.
const policies = new Map();
const policyOf = (ns, k) => {
  const key = `${ns}/${k}`;
  let p = policies.get(key);
  if (!p) {
    p = {
      ns,
      k,
      egress: [],
      ingress: [],
    };
    policies.set(key, p);
  }
  return p;
};

for (let i = 0; i < namespaces; i++) {
  const ns = namespace(i);
  for (let k = 0; k < workloads; k++) {
    const callees = [];
    if (workloads >= 2) callees.push([ns, (k + 1) % workloads]);
    if (namespaces >= 2) callees.push([namespace((i + 1) % namespaces), k]);
    for (const [dstNs, dk] of callees) {
      policyOf(ns, k).egress.push([pods(dstNs, workload(dk)), port(dk)]);
      policyOf(dstNs, dk).ingress.push([pods(ns, workload(k)), port(dk)]);
    }
    if (k % 10 === 0) policyOf(ns, k).egress.push([anyIpv4, 443]);
  }
}

for (const { ns, k, egress, ingress } of policies.values()) {
  const policy = new kplus.NetworkPolicy(chart, `${ns}-${workload(k)}`, {
    metadata: { name: workload(k), namespace: ns },
    selector: kplus.Pods.select(chart, `${ns}-${workload(k)}-selector`, { labels: { app: workload(k) } }),
    ingress: ingress.length ? { default: DENY } : undefined,
    egress: egress.length ? { default: DENY } : undefined,
  });
  for (const [peer, p] of egress) policy.addEgressRule(peer, [kplus.NetworkPolicyPort.tcp(p)]);
  for (const [peer, p] of ingress) policy.addIngressRule(peer, [kplus.NetworkPolicyPort.tcp(p)]);
}

app.synth();
