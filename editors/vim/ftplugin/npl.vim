" Filetype settings for NPL.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=#\ %s
setlocal comments=:#
setlocal formatoptions-=t formatoptions+=croql
setlocal iskeyword=@,48-57,_,-,.
setlocal expandtab shiftwidth=2 softtabstop=2

" npc as the formatter and the compiler: `gq` formats (the whole file: `gggqG`),
" `:make` checks the file and fills the quickfix list (`:copen`). Neovim also
" gets the language server from plugin/npl.lua.
setlocal formatprg=npc\ fmt\ -
setlocal makeprg=npc\ check\ --color\ never\ %:S
" `[E002] Error: message` then `   ╭─[ file:line:column ]`; the rest of the
" report (source lines, help) is left out of the list.
setlocal errorformat=%E[E%n]\ Error:\ %m,%W[W%n]\ Warning:\ %m,%Z%\\s%#╭─[\ %f:%l:%c\ ],%-G%.%#

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< iskeyword< expandtab< shiftwidth< softtabstop< formatprg< makeprg< errorformat<'
