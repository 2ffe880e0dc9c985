-- Run by tests/test_nvim.py with a PATH that has no plan-ls: open two planning files and a
-- markdown file outside any project, and record what the user was told ($PLAN_LS_RESULT).
local project = assert(vim.env.PLAN_LS_PROJECT, 'PLAN_LS_PROJECT is not set')
local messages = {}
vim.notify = function(msg, level)
  table.insert(messages, { msg = msg, level = level })
end
vim.lsp.enable('plan_ls')
for _, name in ipairs({ 'todo.md', 'prompt_plan.md' }) do
  vim.cmd.edit(vim.fn.fnameescape(project .. '/' .. name))
  vim.wait(300)
end
vim.fn.writefile({ vim.json.encode({
  messages = messages,
  clients = #vim.lsp.get_clients({ name = 'plan_ls' }),
  filetype = vim.bo.filetype,
}) }, vim.env.PLAN_LS_RESULT)
vim.cmd('qall!')
