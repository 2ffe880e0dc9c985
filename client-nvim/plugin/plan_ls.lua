-- :Plan* commands and code lens refresh for plan-ls. The server itself starts with
-- vim.lsp.enable('plan_ls'), configured by lsp/plan_ls.lua.
if vim.g.loaded_plan_ls or vim.fn.has('nvim-0.11') == 0 then
  return
end
vim.g.loaded_plan_ls = true

require('plan_ls').setup()
