-- Running a step with the coding agent from a real headless Neovim (issue 17), run by
-- tests/test_nvim_run.py: the "▶ Run with agent" code lens on Step 1 (through
-- vim.lsp.codelens.run, the menu answered by the test) runs the stand-in agent; then
-- :PlanRunLog opens the agent's log. Each check stores what it saw in $PLAN_LS_RESULT.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'harness.lua'))
local project, results = H.project, H.results
local wait, check = H.wait, H.check
local plan_ls = require('plan_ls')

local menu -- the titles the last vim.ui.select offered
vim.ui.select = function(items, opts, on_choice)
  menu = {}
  local pick
  for i, item in ipairs(items) do
    local title = opts.format_item and opts.format_item(item) or tostring(item)
    menu[#menu + 1] = title
    if title:find('Run with agent', 1, true) then
      pick = i
    end
  end
  on_choice(pick and items[pick] or nil, pick)
end

-- Neovim echoes window/showMessage (no vim.notify): keep those messages too, so that the
-- test can wait for the run's end message instead of for its whole time-out
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
  table.insert(results.messages, { msg = params.message, level = params.type })
  return show_message(err, params, ctx, config)
end

vim.lsp.enable('plan_ls')
vim.cmd.edit(vim.fn.fnameescape(project .. '/prompt_plan.md'))
local plan_buf = vim.api.nvim_get_current_buf()
wait(15000, function()
  local client = plan_ls.client(plan_buf)
  return client ~= nil and client.initialized and plan_ls.status():find('Step', 1, true) ~= nil
end)

check('lens_runs_the_step', function(seen)
  local line
  for i, text in ipairs(vim.api.nvim_buf_get_lines(plan_buf, 0, -1, false)) do
    if text:find('## Step 1', 1, true) then
      line = i
      break
    end
  end
  vim.lsp.codelens.refresh({ bufnr = plan_buf })
  wait(5000, function()
    for _, lens in ipairs(vim.lsp.codelens.get(plan_buf)) do
      if lens.range.start.line == line - 1 and lens.command
        and lens.command.title:find('Run with agent', 1, true) then
        return true
      end
    end
    return false
  end)
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.lsp.codelens.run()
  seen.menu = menu
  local todo = project .. '/todo.md'
  seen.done = wait(30000, function()
    local text = table.concat(vim.fn.readfile(todo), '\n')
    return text:find('- [x] a test for add', 1, true) ~= nil
  end)
  seen.calc = vim.fn.filereadable(project .. '/calc.py') == 1
end)

check('run_log', function(seen)
  -- the run's end message arrives after the files are written: wait for it
  seen.ended = wait(10000, function()
    for _, m in ipairs(results.messages) do
      if tostring(m.msg):find('Step 1 done', 1, true) then
        return true
      end
    end
    return false
  end)
  vim.cmd('PlanRunLog')
  wait(5000, function()
    return vim.api.nvim_buf_get_name(0):find('agent.log', 1, true) ~= nil
  end)
  seen.name = vim.fs.basename(vim.api.nvim_buf_get_name(0))
  seen.text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
end)

H.finish()
