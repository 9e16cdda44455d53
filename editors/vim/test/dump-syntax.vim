" Prints the syntax group of every token of the current buffer: one line per
" run of characters that share a group, as `LINE:COL-COL GROUP TEXT`.
" Runs of whitespace are skipped. Used by scripts/test-editors.sh.
function! s:dump() abort
  let out = []
  for lnum in range(1, line('$'))
    let text = getline(lnum)
    let col = 1
    let n = strlen(text)
    while col <= n
      let group = synIDattr(synID(lnum, col, 1), 'name')
      let start = col
      while col < n && synIDattr(synID(lnum, col + 1, 1), 'name') ==# group
        let col += 1
      endwhile
      let chunk = strpart(text, start - 1, col - start + 1)
      if chunk =~# '\S'
        call add(out, printf('%d:%d-%d %s %s', lnum, start, col,
              \ group ==# '' ? '-' : group, trim(chunk)))
      endif
      let col += 1
    endwhile
  endfor
  call writefile(out, $NPL_SYNTAX_OUT)
endfunction
call s:dump()
