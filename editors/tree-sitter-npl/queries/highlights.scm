; Highlights for NPL. Capture names follow the nvim-treesitter conventions;
; editors fall back along the dots (`@keyword.import` -> `@keyword`).

(comment) @comment

; ------------------------------------------------------------ keywords
[
  "namespace"
  "let"
] @keyword

[
  "allow"
  "expect"
  "dns"
  "scrape"
  "set"
  "isolate"
  "only"
  "no"
  "labels"
  "except"
] @keyword

"include" @keyword.import

; `admin { ... }` and `baseline { ... }`: cluster guardrails
[
  "admin"
  "baseline"
] @keyword

; what a tier statement does with a connection: decides it (`accept`,
; `deny`) or leaves it to the namespaces' policies (`pass`)
(tier_action
  [
    "accept"
    "deny"
    "pass"
  ] @keyword.conditional)

(verdict) @keyword

; `deny` is not a statement (everything not allowed is denied)
(deny_statement
  "deny" @keyword)

(deny_statement
  (deny_rest) @error)

(no_statement
  carve_out: _ @keyword)

[
  "in"
  "notin"
] @keyword.operator

; ------------------------------------------------------------ constants
[
  (direction)
  (none)
  (world)
  (cluster)
] @constant.builtin

(star) @character.special

; ------------------------------------------------------------ names
(namespace) @module

(workload) @type

(let_statement
  name: (identifier) @variable)

(alias) @variable

; a pod set of `isolate ... only`: an alias, or a workload of the block
(pod_set) @variable

(setting) @variable.builtin

(setting_value) @string.special

(label_key) @property

(label_value) @string

(string) @string

; DNS names and patterns (`api.stripe.com`, `*.s3.amazonaws.com`)
[
  (dns_name)
  (dns_pattern)
] @string.special.url

(string
  "\"" @string)

(escape_sequence) @string.escape

; ------------------------------------------------------------ addresses and ports
[
  (ipv4_cidr)
  (ipv6)
] @number

(port_number) @number

(port_name) @constant

(protocol) @type.builtin

; ------------------------------------------------------------ operators and punctuation
[
  "->"
  "="
  "!="
  "!"
  ":"
] @operator

(port_range
  "-" @operator)

[
  "/"
  ","
  ";"
] @punctuation.delimiter

[
  "{"
  "}"
  "("
  ")"
  "["
  "]"
] @punctuation.bracket

(line_continuation) @punctuation.special
