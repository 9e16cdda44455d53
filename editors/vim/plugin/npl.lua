-- Starts the NPL language server (`npc lsp`) for every NPL buffer, with
-- Neovim's built-in client (Neovim 0.7 and later; Vim ignores this file).
--
-- Options, set before the plugin loads (e.g. in init.lua):
--   vim.g.npl_lsp = false              -- do not start the server
--   vim.g.npl_lsp_cmd = { '/path/to/npc', 'lsp' }
--
-- With nvim-lspconfig instead, see editors/README.md and set
-- vim.g.npl_lsp = false.

if vim.g.loaded_npl_lsp or vim.g.npl_lsp == false or vim.g.npl_lsp == 0 then
  return
end
vim.g.loaded_npl_lsp = true

local clients = {} -- root directory -> client id (Neovim 0.7)
local warned = false

-- The directory of the repository holding the file (a `.git` directory or
-- file above it), else the file's own directory. The server scans it for the
-- files that include the buffer's file.
local function root_dir(bufnr)
  local file = vim.api.nvim_buf_get_name(bufnr)
  local dir = vim.fn.fnamemodify(file, ':p:h')
  local git = vim.fn.finddir('.git', dir .. ';')
  if git == '' then
    git = vim.fn.findfile('.git', dir .. ';')
  end
  if git ~= '' then
    return vim.fn.fnamemodify(git, ':p:h:h')
  end
  return dir
end

local function start(bufnr)
  local cmd = vim.g.npl_lsp_cmd or { 'npc', 'lsp' }
  if vim.fn.executable(cmd[1]) == 0 then
    if not warned then
      warned = true
      vim.notify(
        'npl: `' .. cmd[1] .. '` not found, so no diagnostics: install npc (`cargo install --path .` '
          .. 'in the npc repository) or set vim.g.npl_lsp_cmd',
        vim.log.levels.WARN
      )
    end
    return
  end
  local root = root_dir(bufnr)
  local config = { name = 'npc', cmd = cmd, root_dir = root }
  if vim.lsp.start then -- Neovim 0.8+: reuses the client of the same name and root
    vim.lsp.start(config, { bufnr = bufnr })
    return
  end
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
    id = vim.lsp.start_client(config)
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

local group = vim.api.nvim_create_augroup('npl_lsp', { clear = true })
vim.api.nvim_create_autocmd('FileType', {
  group = group,
  pattern = 'npl',
  callback = function(args)
    start(args.buf)
  end,
})
