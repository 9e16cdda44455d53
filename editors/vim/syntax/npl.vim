" Vim syntax file
" Language:   NPL, the network policy intent language (npc)
" Filenames:  *.npl
"
" Keywords are keywords only where the grammar (grammar/npl.pest) expects
" them: at the start of a statement or after the word that introduces them.
" Inside an endpoint (`web/in`, `{tier=none}`) they are ordinary names.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match
" Names are made of letters, digits, `_`, `-` and `.`.
syn iskeyword @,48-57,_,-,.

" ------------------------------------------------------------ fallbacks
" Defined first so that every more specific item below wins over them.
syn match nplError     "[^[:space:][:alnum:]_.#;{}()\[\],=!:/*\"\\-]"
syn match nplError     "\%(-\)\@<!>"
syn match nplAlias     "\k\+"

" ------------------------------------------------------------ statements
syn match nplDeclaration "\%(\%(^\|[;{]\)\s*\)\@<=\%(namespace\|let\)\>"
syn match nplStatement   "\%(\%(^\|[;{]\)\s*\)\@<=\%(allow\|expect\|dns\|scrape\|set\|include\|isolate\|no\)\>"
" `deny` is not a statement: everything not allowed is denied.
syn match nplError       "\%(\%(^\|[;{]\)\s*\)\@<=deny\>"
" Cluster guardrails: `admin {` and `baseline {` start a statement; elsewhere
" they are names. In their block `accept`, `deny` and `pass` start the
" statements (defined after `deny` above, so they win there), and `ingress`
" or `egress` after them is a side unless a name goes on (`deny ingress/web`).
syn match nplDeclaration "\%(\%(^\|;\)\s*\)\@<=\%(admin\|baseline\)\>\%(\s*{\)\@="
syn match nplTierAction  "\%(\%(^\|[;{]\)\s*\)\@<=\%(accept\|deny\|pass\)\>" contained containedin=nplTierBlock
syn match nplConstant    "\%(\<\%(accept\|deny\|pass\)\s\+\)\@<=\%(ingress\|egress\)\>\%(\s*\%(/\|->\|,\|:\|#\|;\|}\|$\)\)\@!" contained containedin=nplTierBlock

syn match nplNamespaceDef "\%(\<namespace\s\+\)\@<=\k\+"
syn match nplError        "\%(\<namespace\s\+\)\@<=\k*[^-a-z0-9[:space:]{;#]\k*"
syn match nplKeyword      "\%(\<namespace\s\+\k\+\s\+\)\@<=labels\>"
syn match nplAliasDef     "\%(\<let\s\+\)\@<=\k\+"
syn match nplError        "\%(\<let\s\+\)\@<=\%(namespace\|labels\|isolate\|ingress\|egress\|none\|let\|allow\|expect\|deny\|dns\|scrape\|set\|include\|no\|world\|cluster\|except\|in\|notin\)\>"
syn match nplSetting      "\%(\<set\s\+\)\@<=\k\+"
syn match nplVerdict      "\%(\<expect\s\+\)\@<=\%(allow\|deny\)\>"
syn match nplConstant     "\%(\<isolate\s\+\%(\k\+\s*,\s*\)\=\)\@<=\%(ingress\|egress\|none\)\>"
" `only` is a keyword only after isolate's directions (`isolate ingress only db`)
syn match nplKeyword      "\%(\<isolate\s\+\%(ingress\|egress\)\%(\s*,\s*\%(ingress\|egress\)\)\=\s\+\)\@<=only\>"
syn match nplConstant     "\%(\<dns\s\+\)\@<=none\>"
syn match nplKeyword      "\%(\<no\s\+\)\@<=\%(dns\|scrape\)\>"

" ------------------------------------------------------------ endpoints
syn match nplOperator  "->"
syn match nplOperator  "="
syn match nplDelimiter "[(),;/\[\]]"
syn match nplNamespace    "\k\+\%(\s*/\)\@="
syn match nplWorkload     "\%(/\s*\)\@<=\k\+"
syn match nplConstant     "\<\%(world\|cluster\)\>\%(\s*/\)\@!"
syn match nplKeyword      "\<except\>\%(\s*/\)\@!"
syn match nplWildcard     "\*"
" DNS names. Outside namespace blocks a dotted bare word is a name
" (`api.stripe.com`); a word that ends with a dot (`api.stripe.com.`) and a
" `*.` pattern are names everywhere. Inside a block (nplNamespaceBody) a
" bare dotted word is a workload, so nplDottedName is left out there.
syn match nplDottedName   "\%(\k\|/\s*\|\<\%(let\|namespace\|set\)\s\+\)\@<!\k\+\.\k\+\k\@!\%(\s*/\)\@!"
syn match nplDnsName      "\%(\k\|/\s*\|\<\%(let\|namespace\|set\)\s\+\)\@<!\k\+\.\k\@!\%(\s*/\)\@!"
syn match nplDnsName      "\%(\k\|/\s*\)\@<!\*\.\k\+\%(\s*/\)\@!"
syn match nplSettingValue "\%(\<set\s\+\k\+\s*=\s*\)\@<=\k\+\%(/\k\+\)\="
syn match nplCidr         "\<\d\{1,3}\%(\.\d\{1,3}\)\{3}\%(/\d\+\)\=\>"
syn match nplCidr         "\[[[:xdigit:]:.]*:[[:xdigit:]:.]*\%(/\d\+\)\=\]"

" ------------------------------------------------------------ label sets
syn region nplLabelSet matchgroup=nplDelimiter start="{" end="}"
      \ contains=nplLabelKey,nplLabelOp,nplLabelIn,nplValueList,nplString,nplComment,nplComma,nplLabelError
syn match nplLabelError "[^[:space:][:alnum:]_.,\"#!=()/-]" contained
syn match nplLabelKey   "\k\+\%(/\k\+\)\=" contained
syn match nplLabelOp    "!=\|="  contained nextgroup=nplLabelValue skipwhite
syn match nplLabelOp    "!\%(\s*\k\)\@=" contained
syn match nplLabelValue "\k\+" contained
syn match nplLabelIn    "\<\%(in\|notin\)\>\%(\s*(\)\@=" contained
syn region nplValueList matchgroup=nplDelimiter start="(" end=")" contained
      \ contains=nplLabelValue,nplString,nplComma,nplComment

" ------------------------------------------------------------ ports
syn match nplPortOp    ":" nextgroup=nplPortSet,nplPort skipwhite
syn region nplPortSet  matchgroup=nplDelimiter start="{" end="}" contained
      \ contains=nplPortRange,nplPortBad,nplPortNumber,nplPortName,nplProtocolSep,nplComma,nplComment
syn match nplPort      "\k\+\%(/\w*\)\=" contained
      \ contains=nplPortRange,nplPortBad,nplPortNumber,nplPortName,nplProtocolSep
syn match nplPortName  "\k\+" contained
syn match nplPortBad   "\<\d\+\>" contained
syn match nplPortNumber "\<\%(6553[0-5]\|655[0-2]\d\|65[0-4]\d\d\|6[0-4]\d\{3}\|[1-5]\d\{4}\|[1-9]\d\{0,3}\)\>" contained
syn match nplPortRange "\<\d\+-\d\+\>" contained contains=nplRangeNumber,nplRangeBad,nplRangeOp
syn match nplRangeBad  "\d\+" contained
syn match nplRangeNumber "\d\@<!\%(6553[0-5]\|655[0-2]\d\|65[0-4]\d\d\|6[0-4]\d\{3}\|[1-5]\d\{4}\|[1-9]\d\{0,3}\)\d\@!" contained
syn match nplRangeOp   "-" contained
syn match nplProtocolSep "/" contained nextgroup=nplProtocol,nplProtocolBad
syn match nplProtocolBad "\w*" contained
syn match nplProtocol  "\%(tcp\|udp\|sctp\|any\)\>" contained

" ------------------------------------------------------------ blocks
syn match nplComma     "," contained
syn match nplBlock     "}"
" A namespace body reads a bare dotted word as a workload.
syn region nplNamespaceBody matchgroup=nplBlock transparent
      \ start="\%(\<namespace\s\+\k\+\%(\s\+labels\s*{[^}]*}\)\=\s*\)\@<={" end="}"
      \ contains=TOP,nplDottedName,nplBlock,nplNamespaceBody,nplTierBlock
" A tier block holds tier statements and `no dns`.
syn region nplTierBlock matchgroup=nplBlock transparent
      \ start="\%(\%(^\|;\)\s*\%(admin\|baseline\)\s*\)\@<={" end="}"
      \ contains=TOP,nplBlock,nplNamespaceBody,nplTierBlock
syn match nplContinuation "\\$"

" ------------------------------------------------------------ atoms
syn match nplEscape    +\\["\\]+ contained
syn match nplBadEscape +\\[^"\\]+ contained
syn region nplString   start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=nplEscape,nplBadEscape
syn keyword nplTodo    TODO FIXME XXX NOTE contained
syn match nplComment   "#.*$" contains=nplTodo,@Spell

" Blocks span lines: a line is read knowing whether it is inside one.
syn sync fromstart

hi def link nplComment      Comment
hi def link nplTodo         Todo
hi def link nplString       String
hi def link nplEscape       SpecialChar
hi def link nplBadEscape    Error
hi def link nplDeclaration  Keyword
hi def link nplStatement    Statement
hi def link nplKeyword      Keyword
hi def link nplVerdict      Keyword
hi def link nplConstant     Constant
hi def link nplNamespaceDef Type
hi def link nplNamespace    Type
hi def link nplWorkload     Identifier
hi def link nplAliasDef     Function
hi def link nplAlias        Identifier
hi def link nplSetting      Identifier
hi def link nplSettingValue String
hi def link nplWildcard     Special
hi def link nplCidr         Number
hi def link nplDnsName      String
hi def link nplDottedName   String
hi def link nplTierAction   Conditional
hi def link nplLabelKey     Tag
hi def link nplLabelValue   String
hi def link nplLabelOp      Operator
hi def link nplLabelIn      Operator
hi def link nplLabelError   Error
hi def link nplPortOp       Operator
hi def link nplPortNumber   Number
hi def link nplRangeNumber  Number
hi def link nplPortBad      Error
hi def link nplRangeBad     Error
hi def link nplRangeOp      Operator
hi def link nplPortName     Constant
hi def link nplProtocol     Type
hi def link nplProtocolBad  Error
hi def link nplProtocolSep  Delimiter
hi def link nplOperator     Operator
hi def link nplDelimiter    Delimiter
hi def link nplComma        Delimiter
hi def link nplBlock        Delimiter
hi def link nplContinuation SpecialChar
hi def link nplError        Error

let b:current_syntax = 'npl'

let &cpo = s:cpo_save
unlet s:cpo_save
