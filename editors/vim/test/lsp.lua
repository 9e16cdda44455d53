-- Drives `npc lsp` through Neovim's built-in client, headless: the buffer
-- (an example, opened by the caller) gets the server from plugin/npl.lua;
-- this script waits for diagnostics, asks for hover and definition, edits
-- the buffer to introduce an error and waits for it, then writes what it
-- saw to $NPL_LSP_OUT for the caller to compare with lsp.expected.

local out = {}
local function say(line)
  table.insert(out, line)
end

local function finish(ok)
  vim.fn.writefile(out, os.getenv('NPL_LSP_OUT'))
  vim.cmd(ok and 'qa!' or 'cquit!')
end

local published = 0
local default = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result and vim.uri_to_bufnr(result.uri) == vim.api.nvim_get_current_buf() then
    published = published + 1
  end
  return default(err, result, ctx, config)
end

local ok, problem = pcall(function()
  local buf = vim.api.nvim_get_current_buf()
  say('filetype: ' .. vim.bo.filetype)
  assert(vim.wait(20000, function()
    return #vim.lsp.buf_get_clients(buf) > 0
  end, 50), 'no client attached')
  for _, client in pairs(vim.lsp.buf_get_clients(buf)) do
    say('client: ' .. client.name .. ', position encoding ' .. client.offset_encoding)
  end
  assert(vim.wait(20000, function()
    return published > 0
  end, 50), 'no diagnostics published')
  say('diagnostics on open: ' .. #vim.diagnostic.get(buf))

  -- Hover and definition on `api` in `allow web/frontend -> api:8080`.
  local line = vim.fn.search('^allow web/frontend -> api:8080')
  assert(line > 0, 'the example changed')
  vim.api.nvim_win_set_cursor(0, { line, #'allow web/frontend -> ' + 1 })
  local params = vim.lsp.util.make_position_params()
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, 10000)
  for _, response in pairs(hover or {}) do
    local value = response.result and response.result.contents.value or ''
    local yaml = false
    for i, l in ipairs(vim.split(value, '\n')) do
      if l == '```' then
        yaml = false
      end
      if i == 1 or yaml or l:match('^managed') then
        say('hover: ' .. l)
      end
      if l == '```yaml' then
        yaml = true
      end
    end
  end
  local definition = vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, 10000)
  for _, response in pairs(definition or {}) do
    local loc = response.result
    if loc and loc[1] then
      loc = loc[1]
    end
    if loc and loc.uri then
      local r = loc.range
      say(string.format('definition: %s %d:%d-%d:%d (%s)', vim.fn.fnamemodify(vim.uri_to_fname(loc.uri), ':t'),
        r.start.line + 1, r.start.character, r['end'].line + 1, r['end'].character,
        vim.trim(vim.fn.getline(r.start.line + 1))))
    else
      say('definition: none')
    end
  end

  -- An edit that introduces two errors, with non-ASCII text before the
  -- second on its line: UTF-16 columns (the protocol's) differ from bytes
  -- (Neovim's), so a wrong conversion shows in the columns.
  vim.api.nvim_buf_set_lines(buf, line - 1, line, true, { 'allow web/{tier="é☕"} -> apx:8080' })
  assert(vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50), 'no diagnostic after the edit')
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local severity = d.severity == vim.diagnostic.severity.ERROR and 'error' or 'warning'
    say(string.format('diagnostic: %s %s %d:%d-%d:%d %s', d.code, severity, d.lnum + 1, d.col,
      d.end_lnum + 1, d.end_col, vim.split(d.message, '\n')[1]))
  end
end)

if not ok then
  say('error: ' .. tostring(problem))
end
finish(ok)
