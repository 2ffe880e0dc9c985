-- Navigation in a real headless Neovim (issue 16), run by tests/test_nvim_navigate.py:
-- definition (<C-]>, through the LSP tagfunc), references (grr's function), rename (grn's
-- function) and folding (zc with vim.lsp.foldexpr). Each check stores what it saw under its
-- name in $PLAN_LS_RESULT; Python asserts on it. Exit code: the number of failed checks.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'harness.lua'))
local project = H.project
local wait, line_of, check = H.wait, H.line_of, H.check
local plan_ls = require('plan_ls')

vim.lsp.enable('plan_ls')
vim.cmd.edit(vim.fn.fnameescape(project .. '/todo.md'))
local todo_buf = vim.api.nvim_get_current_buf()
wait(15000, function()
  local client = plan_ls.client(todo_buf)
  return client ~= nil and client.initialized and plan_ls.status():find('Step', 1, true) ~= nil
end)

check('definition', function(seen)
  local line = line_of(todo_buf, 'Test a missing data file')
  vim.api.nvim_win_set_cursor(0, { line, 8 })
  vim.cmd('normal! \29') -- <C-]>: the LSP tagfunc asks for the definition
  wait(5000, function()
    return vim.api.nvim_get_current_buf() ~= todo_buf
  end)
  seen.file = vim.fs.basename(vim.api.nvim_buf_get_name(0))
  seen.line = vim.api.nvim_get_current_line()
  vim.cmd.buffer(todo_buf)
end)

check('references', function(seen)
  local plan_buf = vim.fn.bufadd(project .. '/prompt_plan.md')
  vim.fn.bufload(plan_buf)
  vim.api.nvim_set_current_buf(plan_buf)
  wait(5000, function()
    return #vim.lsp.get_clients({ bufnr = plan_buf, name = 'plan_ls' }) > 0
  end)
  vim.api.nvim_win_set_cursor(0, { line_of(plan_buf, '## Step 3'), 4 })
  vim.fn.setqflist({}, 'r')
  vim.lsp.buf.references(nil, {
    on_list = function(list)
      vim.fn.setqflist({}, 'r', list)
    end,
  })
  wait(5000, function()
    return #vim.fn.getqflist() > 0
  end)
  seen.items = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(seen.items, {
      file = vim.fs.basename(vim.api.nvim_buf_get_name(item.bufnr)),
      lnum = item.lnum,
      text = item.text,
    })
  end
end)

check('rename', function(seen)
  local plan_buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_win_set_cursor(0, { line_of(plan_buf, '## Step 3'), 8 })
  vim.lsp.buf.rename('9')
  wait(5000, function()
    return vim.api.nvim_get_current_line():find('Step 9', 1, true) ~= nil
  end)
  seen.plan_line = vim.api.nvim_get_current_line()
  seen.todo_heading = vim.api.nvim_buf_get_lines(todo_buf, 0, -1, false)[line_of(todo_buf, 'Atomic store')]
  seen.todo_modified = vim.bo[todo_buf].modified
end)

check('fold', function(seen)
  local plan_buf = vim.api.nvim_get_current_buf()
  vim.wo.foldmethod = 'expr'
  vim.wo.foldexpr = 'v:lua.vim.lsp.foldexpr()'
  vim.wo.foldlevel = 99
  local step = line_of(plan_buf, '## Step 2')
  wait(5000, function()
    return vim.fn.foldlevel(step) > 0
  end)
  vim.api.nvim_win_set_cursor(0, { step, 0 })
  vim.cmd('normal! zc')
  seen.step = step
  seen.closed = { vim.fn.foldclosed(step), vim.fn.foldclosedend(step) }
  seen.next_step = line_of(plan_buf, '## Step 9')
end)

H.finish()
