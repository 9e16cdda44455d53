; Aliases made by `let` are global, or local to the namespace block that
; declares them.

(source_file) @local.scope

(block) @local.scope

(let_statement
  name: (identifier) @local.definition)

(alias
  (identifier) @local.reference)

; `isolate ingress only db`: `db` is an alias when one has that name
(pod_set) @local.reference
