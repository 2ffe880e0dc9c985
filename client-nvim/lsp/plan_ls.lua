-- plan-ls for Neovim 0.11+: picked up by vim.lsp.config / vim.lsp.enable('plan_ls')
-- once client-nvim/ is on the runtimepath (nvim-lspconfig users get it the same way).
-- Override any field with vim.lsp.config('plan_ls', { ... }).

---@type vim.lsp.Config
return {
  cmd = { 'plan-ls', 'serve' },
  filetypes = { 'markdown' },
  -- The planning files mark a project as much as .git does; the nearest of them wins, looked
  -- for from outside a spec-kit / Kiro / OpenSpec plan folder (one server for all plans).
  root_dir = function(bufnr, on_dir)
    return require('plan_ls').root_dir(bufnr, on_dir)
  end,
  workspace_required = true,
  handlers = {
    ['planLs/progress'] = function(...)
      return require('plan_ls').on_progress(...)
    end,
  },
  -- Client-side commands the server puts into code lenses.
  commands = {
    ['planLs.copyToClipboard'] = function(...)
      return require('plan_ls').copy_to_clipboard(...)
    end,
  },
}
