/**
 * @file NPL, the network policy intent language compiled by npc
 * @license Apache-2.0
 *
 * Follows grammar/npl.pest, the source of truth. Statements end at a newline
 * or `;`, so newlines are tokens here, not extras; inside label sets, port
 * sets and value lists they may appear between entries.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// A name does not end in `-`, so that `a->b` reads as `a`, `->`, `b` (NPL's
// grammar reads a `-` before `>` as the arrow).
const WORD = /[A-Za-z0-9_.-]*[A-Za-z0-9_.]/;

/** @param {RuleOrLiteral} rule */
const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

/**
 * The rules that hold endpoints, once for the top level (`prefix` empty)
 * and once for a namespace block (`_block_`, aliased to the same node
 * names): a dotted bare word is a DNS name at the top level and a workload
 * in a block, so the two need their own parse states.
 *
 * @param {string} prefix
 */
function scoped(prefix) {
  /** @param {any} $ @param {string} name */
  const ref = ($, name) => (prefix ? alias($[prefix + name], $[name]) : $[name]);
  /** @param {any} $ */
  const targets = ($) => ref($, 'target_list');
  /** @param {any} $ */
  const target = ($) => ref($, 'target');
  /** @type {Record<string, ($: any) => RuleOrLiteral>} */
  const rules = {
    let_statement: ($) => seq(
      'let',
      field('name', $.identifier),
      '=',
      field('value', targets($)),
    ),
    allow_statement: ($) => seq(
      'allow',
      field('source', targets($)),
      '->',
      field('destination', targets($)),
    ),
    expect_statement: ($) => seq(
      'expect',
      field('verdict', $.verdict),
      field('source', target($)),
      '->',
      field('destination', target($)),
    ),
    dns_statement: ($) => seq(
      'dns',
      choice(alias('none', $.none), field('server', targets($))),
    ),
    scrape_statement: ($) => seq(
      'scrape',
      field('source', target($)),
      '->',
      field('pods', choice($.star, $.label_set)),
      optional(field('ports', $.ports)),
    ),
    target_list: ($) => commaSep1(target($)),
    target: ($) => seq($[prefix ? '_block_endpoint' : '_endpoint'], optional(field('ports', $.ports))),
    _endpoint: ($) => choice(
      $.ip_endpoint,
      $.world,
      $.cluster,
      ref($, 'pod_endpoint'),
      $.local_pods,
      $.dns_pattern,
      prefix ? alias($._block_dns_name, $.dns_name) : $.dns_name,
      $.alias,
    ),
    pod_endpoint: ($) => seq(
      field('namespace', choice(
        $.star,
        $.label_set,
        alias($.identifier, $.namespace),
        // what reads as a DNS name before `/` is a namespace name
        alias(prefix ? $._block_dns_name : $.dns_name, $.namespace),
        // keywords are ordinary names inside an endpoint
        alias('world', $.namespace),
        alias('cluster', $.namespace),
        alias('ingress', $.namespace),
        alias('egress', $.namespace),
      )),
      '/',
      field('pod', choice($.star, $.label_set, alias($.identifier, $.workload), $.string)),
    ),
  };
  /** @type {Record<string, ($: any) => RuleOrLiteral>} */
  const out = {};
  for (const [name, rule] of Object.entries(rules)) {
    const key = prefix ? (name.startsWith('_') ? prefix + name.slice(1) : prefix + name) : name;
    out[key] = rule;
  }
  return out;
}

module.exports = grammar({
  name: 'npl',

  extras: ($) => [/[ \t]/, $.line_continuation, $.comment],

  word: ($) => $.identifier,

  rules: {
    source_file: ($) => seq(
      repeat($._sep),
      optional(seq(
        $._statement,
        repeat(seq(repeat1($._sep), $._statement)),
        repeat($._sep),
      )),
    ),

    _sep: ($) => choice($._newline, ';'),
    _newline: (_) => /\r?\n/,
    _nl: ($) => repeat1($._newline),

    comment: (_) => token(seq('#', /[^\r\n]*/)),
    line_continuation: (_) => token(seq('\\', /\r?\n/)),

    _statement: ($) => choice(
      $.namespace_declaration,
      $.tier_declaration,
      $.let_statement,
      $.allow_statement,
      $.deny_statement,
      $.expect_statement,
      $.dns_statement,
      $.scrape_statement,
      $.set_statement,
      $.include_statement,
      $.isolate_statement,
      $.no_statement,
    ),
    // The statements of a namespace block: no tier blocks, and endpoints
    // read as a block reads them (see `_block_endpoint`).
    _block_statement: ($) => choice(
      $.namespace_declaration,
      alias($._block_let_statement, $.let_statement),
      alias($._block_allow_statement, $.allow_statement),
      $.deny_statement,
      alias($._block_expect_statement, $.expect_statement),
      alias($._block_dns_statement, $.dns_statement),
      alias($._block_scrape_statement, $.scrape_statement),
      $.set_statement,
      $.include_statement,
      $.isolate_statement,
      $.no_statement,
    ),

    // ------------------------------------------------------------ statements
    namespace_declaration: ($) => seq(
      'namespace',
      field('name', alias($.identifier, $.namespace)),
      optional(seq('labels', field('labels', $.label_set))),
      optional(field('body', $.block)),
    ),
    block: ($) => seq(
      '{',
      repeat($._sep),
      optional(seq(
        $._block_statement,
        repeat(seq(repeat1($._sep), $._block_statement)),
        repeat($._sep),
      )),
      '}',
    ),

    // Cluster guardrails: `admin { ... }` and `baseline { ... }` at the top
    // level. `admin`, `baseline`, `accept` and `pass` are keywords only where
    // these rules expect them (tree-sitter lexes a keyword only where the
    // parser can take it): `let admin = web/a` and `allow pass/api -> db`
    // are names.
    tier_declaration: ($) => seq(
      field('tier', $.tier_name),
      field('body', $.tier_block),
    ),
    tier_name: (_) => choice('admin', 'baseline'),
    tier_block: ($) => seq(
      '{',
      repeat($._sep),
      optional(seq(
        $._tier_statement,
        repeat(seq(repeat1($._sep), $._tier_statement)),
        repeat($._sep),
      )),
      '}',
    ),
    _tier_statement: ($) => choice($.tier_rule, $.no_statement),
    // `deny ingress/web -> ...` names a namespace `ingress`, not a side.
    tier_rule: ($) => seq(
      field('action', $.tier_action),
      optional(field('side', $.direction)),
      field('source', $.target_list),
      '->',
      field('destination', $.target_list),
    ),
    tier_action: (_) => choice('accept', 'deny', 'pass'),

    // `only` is a keyword only after the directions (`isolate ingress
    // only db, {tier=backend}`); elsewhere it is a name.
    isolate_statement: ($) => seq(
      'isolate',
      choice(alias('none', $.none), commaSep1($.direction)),
      optional(field('only', $.only_sets)),
    ),
    only_sets: ($) => seq(
      'only',
      commaSep1(choice($.label_set, alias($.identifier, $.pod_set), $.string)),
    ),
    direction: (_) => choice('ingress', 'egress'),
    no_statement: ($) => seq('no', field('carve_out', choice('dns', 'scrape'))),

    // `deny` is not part of the language: it is parsed so that npc can
    // explain default-deny instead of reporting a bare syntax error.
    deny_statement: ($) => seq('deny', optional($.deny_rest)),
    deny_rest: (_) => token(prec(-1, /[^\r\n;#][^\r\n;]*/)),

    verdict: (_) => choice('allow', 'deny'),

    set_statement: ($) => seq(
      'set',
      field('key', alias($.identifier, $.setting)),
      '=',
      field('value', choice($.string, alias($._label_key_token, $.setting_value))),
    ),
    include_statement: ($) => seq('include', field('path', $.string)),

    // ------------------------------------------------------------ endpoints
    ...scoped(''),
    ...scoped('_block_'),

    world: (_) => 'world',
    cluster: (_) => 'cluster',
    // `ingress` and `egress` are names in an endpoint; they are lexed as
    // keywords where a tier statement's side may stand, hence these forms.
    alias: ($) => choice($.identifier, alias(choice('ingress', 'egress'), $.identifier)),
    // Inside a namespace block, `{labels}` alone means pods of that namespace.
    local_pods: ($) => $.label_set,

    // DNS names. Outside namespace blocks a dotted bare word is a name
    // (`api.stripe.com`, `api.stripe.com.`); inside one only a word that ends
    // with a dot is (`api.v2` there is a workload). `*.` and at least one
    // more label is a pattern, anywhere.
    dns_name: (_) => token(prec(1, /[A-Za-z0-9_.-]*\.([A-Za-z0-9_.-]*[A-Za-z0-9_.])?/)),
    _block_dns_name: (_) => token(prec(1, /[A-Za-z0-9_.-]*\./)),
    dns_pattern: (_) => token(seq('*.', /[A-Za-z0-9_.-]+/)),

    star: (_) => '*',

    ip_endpoint: ($) => seq(
      field('cidr', $.cidr),
      optional(seq(
        'except',
        choice(
          field('except', $.cidr),
          seq('(', commaSep1(field('except', $.cidr)), ')'),
        ),
      )),
    ),
    cidr: ($) => choice($.ipv4_cidr, $.ipv6_cidr),
    ipv4_cidr: (_) => token(prec(2, /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/\d+)?/)),
    ipv6_cidr: ($) => seq('[', alias(token.immediate(/[0-9A-Fa-f:.]+(\/\d+)?/), $.ipv6), token.immediate(']')),

    // ------------------------------------------------------------ label sets
    label_set: ($) => seq(
      '{',
      optional($._nl),
      optional(seq(
        $._label_entry,
        repeat(seq(optional($._nl), ',', optional($._nl), $._label_entry)),
        optional(seq(optional($._nl), ',')),
        optional($._nl),
      )),
      '}',
    ),
    _label_entry: ($) => choice(
      $.label_not_exists,
      $.label_in,
      $.label_notin,
      $.label_neq,
      $.label_eq,
      $.label_exists,
    ),
    label_eq: ($) => seq(field('key', $.label_key), '=', field('value', $._label_value)),
    label_neq: ($) => seq(field('key', $.label_key), '!=', field('value', $._label_value)),
    label_in: ($) => seq(field('key', $.label_key), 'in', field('values', $.value_list)),
    label_notin: ($) => seq(field('key', $.label_key), 'notin', field('values', $.value_list)),
    label_exists: ($) => field('key', $.label_key),
    label_not_exists: ($) => seq('!', field('key', $.label_key)),
    value_list: ($) => seq(
      '(',
      optional($._nl),
      $._label_value,
      repeat(seq(optional($._nl), ',', optional($._nl), $._label_value)),
      optional($._nl),
      ')',
    ),
    label_key: ($) => $._label_key_token,
    _label_key_token: (_) => /[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?/,
    _label_value: ($) => choice($.string, alias($.identifier, $.label_value)),

    // ------------------------------------------------------------ ports
    ports: ($) => seq(':', choice($.port_set, $.port)),
    port_set: ($) => seq(
      '{',
      optional($._nl),
      $.port,
      repeat(seq(optional($._nl), ',', optional($._nl), $.port)),
      optional(seq(optional($._nl), ',')),
      optional($._nl),
      '}',
    ),
    port: ($) => seq(
      choice($.port_range, $.port_number, $.port_name),
      optional(seq(token.immediate('/'), alias(token.immediate(/[A-Za-z]+/), $.protocol))),
    ),
    port_range: ($) => seq(
      $.port_number,
      token.immediate('-'),
      alias(token.immediate(/\d+/), $.port_number),
    ),
    port_number: (_) => /\d+/,
    port_name: (_) => /[A-Za-z][A-Za-z0-9_.-]*|\d+[A-Za-z_][A-Za-z0-9_.-]*/,

    // ------------------------------------------------------------ atoms
    identifier: (_) => WORD,
    string: ($) => seq(
      '"',
      repeat(choice($.string_content, $.escape_sequence)),
      token.immediate('"'),
    ),
    string_content: (_) => token.immediate(prec(1, /[^"\\\r\n]+/)),
    escape_sequence: (_) => token.immediate(/\\["\\]/),
  },
});
