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

const WORD = /[A-Za-z0-9_.-]+/;

/** @param {RuleOrLiteral} rule */
const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

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
        $._statement,
        repeat(seq(repeat1($._sep), $._statement)),
        repeat($._sep),
      )),
      '}',
    ),

    isolate_statement: ($) => seq(
      'isolate',
      choice(alias('none', $.none), commaSep1($.direction)),
    ),
    direction: (_) => choice('ingress', 'egress'),
    no_statement: ($) => seq('no', field('carve_out', choice('dns', 'scrape'))),

    let_statement: ($) => seq(
      'let',
      field('name', $.identifier),
      '=',
      field('value', $.target_list),
    ),

    allow_statement: ($) => seq(
      'allow',
      field('source', $.target_list),
      '->',
      field('destination', $.target_list),
    ),
    // `deny` is not part of the language: it is parsed so that npc can
    // explain default-deny instead of reporting a bare syntax error.
    deny_statement: ($) => seq('deny', optional($.deny_rest)),
    deny_rest: (_) => token(prec(-1, /[^\r\n;#][^\r\n;]*/)),

    expect_statement: ($) => seq(
      'expect',
      field('verdict', $.verdict),
      field('source', $.target),
      '->',
      field('destination', $.target),
    ),
    verdict: (_) => choice('allow', 'deny'),

    dns_statement: ($) => seq(
      'dns',
      choice(alias('none', $.none), field('server', $.target_list)),
    ),
    scrape_statement: ($) => seq(
      'scrape',
      field('source', $.target),
      '->',
      field('pods', choice($.star, $.label_set)),
      optional(field('ports', $.ports)),
    ),

    set_statement: ($) => seq(
      'set',
      field('key', alias($.identifier, $.setting)),
      '=',
      field('value', choice($.string, alias($._label_key_token, $.setting_value))),
    ),
    include_statement: ($) => seq('include', field('path', $.string)),

    // ------------------------------------------------------------ endpoints
    target_list: ($) => commaSep1($.target),
    target: ($) => seq($._endpoint, optional(field('ports', $.ports))),

    _endpoint: ($) => choice(
      $.ip_endpoint,
      $.world,
      $.cluster,
      $.pod_endpoint,
      $.local_pods,
      $.alias,
    ),
    world: (_) => 'world',
    cluster: (_) => 'cluster',
    alias: ($) => $.identifier,
    // Inside a namespace block, `{labels}` alone means pods of that namespace.
    local_pods: ($) => $.label_set,

    pod_endpoint: ($) => seq(
      field('namespace', choice(
        $.star,
        $.label_set,
        alias($.identifier, $.namespace),
        // keywords are ordinary names inside an endpoint
        alias('world', $.namespace),
        alias('cluster', $.namespace),
      )),
      '/',
      field('pod', choice($.star, $.label_set, alias($.identifier, $.workload))),
    ),
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
