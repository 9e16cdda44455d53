; Aliases made by `let` are global, or local to the namespace block that
; declares them.

(source_file) @local.scope

(block) @local.scope

(let_statement
  name: (identifier) @local.definition)

(alias
  (identifier) @local.reference)
