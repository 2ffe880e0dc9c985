-- Drives client-nvim and plan-ls through Neovim's own LSP client, headless; run by
-- tests/test_nvim.py. Each check stores what it saw under its name in a JSON file
-- ($PLAN_LS_RESULT); Python asserts on it. Exit code: the number of failed checks.
local H = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'harness.lua'))
local project, results = H.project, H.results
local wait, line_of, check = H.wait, H.line_of, H.check
local plan_ls = require('plan_ls')

local todo_path = project .. '/todo.md'
local plan_path = project .. '/prompt_plan.md'

vim.lsp.log.set_level('debug')
results.lsp_log = vim.lsp.log.get_filename()

-- Answer menus from the test.
local select_answer -- fun(items, opts): item?
vim.ui.select = function(items, opts, on_choice)
  on_choice(select_answer and select_answer(items, opts) or nil)
end

local function lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false)
end

--- Lines that differ between two snapshots of a buffer with the same line count.
local function changed_lines(before, after)
  local out = {}
  for i = 1, math.max(#before, #after) do
    if before[i] ~= after[i] then
      out[#out + 1] = { line = i, before = before[i], after = after[i] }
    end
  end
  return out
end

--- Shows what the code-action menu would list at the cursor (or a range); picks `pick`.
local function code_action_menu(opts, pick)
  local titles, picked = nil, false
  select_answer = function(items, sel)
    titles = {}
    for _, item in ipairs(items) do
      titles[#titles + 1] = sel.format_item(item)
    end
    for i, title in ipairs(titles) do
      if title == pick then
        picked = true
        return items[i]
      end
    end
  end
  vim.lsp.buf.code_action(opts)
  wait(5000, function()
    return titles ~= nil
  end)
  select_answer = nil
  return titles or {}, picked
end

vim.lsp.enable('plan_ls')
vim.cmd.edit(vim.fn.fnameescape(todo_path))
local todo_buf = vim.api.nvim_get_current_buf()

check('attach', function(seen)
  local t0 = vim.uv.hrtime()
  seen.attached = wait(15000, function()
    local client = plan_ls.client(todo_buf)
    -- the first progress may come before the server has read prompt_plan.md: wait for the
    -- next step to show, not for any progress at all
    return client ~= nil and client.initialized and plan_ls.status():find('Step', 1, true) ~= nil
  end)
  seen.seconds = (vim.uv.hrtime() - t0) / 1e9
  local client = assert(plan_ls.client(todo_buf), 'no plan_ls client attached')
  seen.name = client.name
  seen.root_dir = client.root_dir
  seen.filetype = vim.bo[todo_buf].filetype
  seen.status = plan_ls.status()
  seen.commands = client.server_capabilities.executeCommandProvider.commands
  -- The statusline of other buffers: same project, or none.
  local function status_of(name)
    local buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    local status = plan_ls.status(buf)
    vim.api.nvim_buf_delete(buf, { force = true })
    return status
  end
  seen.status_in_project = status_of(project .. '/src/app.py')
  seen.status_elsewhere = status_of('/nonexistent/notes.md')
end)

check('hover', function(seen)
  local row = line_of(todo_buf, 'Test a missing data file')
  vim.api.nvim_win_set_cursor(0, { row, 8 })
  local client = assert(plan_ls.client(todo_buf))
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local resp = assert(client:request_sync('textDocument/hover', params, 5000, todo_buf))
  seen.markdown = resp.result and resp.result.contents.value
  -- What `K` shows: the floating window Neovim opens.
  local before = vim.api.nvim_list_wins()
  vim.lsp.buf.hover()
  local float
  wait(5000, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if not vim.list_contains(before, win) and vim.api.nvim_win_get_config(win).relative ~= '' then
        float = win
      end
    end
    return float ~= nil
  end)
  assert(float, 'no hover window opened')
  local fbuf = vim.api.nvim_win_get_buf(float)
  seen.float_lines = lines(fbuf)
  seen.float_filetype = vim.bo[fbuf].filetype
  vim.api.nvim_win_close(float, true)
end)

check('code_action', function(seen)
  local row = line_of(todo_buf, 'Test a missing data file')
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  local before = lines(todo_buf)
  local tick = vim.b[todo_buf].changedtick
  seen.titles, seen.picked = code_action_menu(nil, 'Mark done')
  wait(5000, function()
    return vim.b[todo_buf].changedtick ~= tick
  end)
  seen.changed = changed_lines(before, lines(todo_buf))
  seen.row = row
  -- Other places, for the titles only.
  vim.api.nvim_win_set_cursor(0, { line_of(todo_buf, '## Step 4'), 0 })
  seen.heading_titles = code_action_menu(nil, nil)
  local first = line_of(todo_buf, '`habit add NAME`')
  seen.range_titles =
    code_action_menu({ range = { start = { first, 0 }, ['end'] = { first + 1, 3 } } }, nil)
  seen.status = plan_ls.status()
end)

check('plan_status', function(seen)
  vim.cmd('PlanStatus')
  local buf
  wait(5000, function()
    buf = vim.iter(vim.api.nvim_list_bufs()):find(function(b)
      return vim.b[b].plan_ls_status == true
    end)
    return buf ~= nil
  end)
  assert(buf, ':PlanStatus opened no buffer')
  seen.lines = lines(buf)
  seen.buftype = vim.bo[buf].buftype
  vim.cmd.close()
  vim.api.nvim_set_current_buf(todo_buf)
end)

-- A second plan in the project (a spec-kit feature, written by test_nvim.py): the same server
-- serves it, and the statusline follows the buffer's plan.
check('second_plan', function(seen)
  local tasks = project .. '/specs/001-garden-log/tasks.md'
  vim.cmd.edit(vim.fn.fnameescape(tasks))
  local buf = vim.api.nvim_get_current_buf()
  wait(10000, function()
    return plan_ls.status(buf):find('001-garden-log', 1, true) ~= nil
  end)
  seen.status = plan_ls.status(buf)
  seen.todo_status = plan_ls.status(todo_buf)
  local clients = vim.lsp.get_clients({ name = 'plan_ls' })
  seen.clients = #clients
  seen.attached = plan_ls.client(buf) ~= nil and plan_ls.client(buf).id == plan_ls.client(todo_buf).id
  local hover = plan_ls.client(buf):request_sync('textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line_of(buf, 'T002') - 1, character = 8 },
  }, 5000, buf)
  seen.hover = hover and hover.result and hover.result.contents.value or vim.NIL
  vim.api.nvim_set_current_buf(todo_buf)
end)

check('plan_done_range', function(seen)
  local first = line_of(todo_buf, '`habit add NAME`')
  local before = lines(todo_buf)
  local tick = vim.b[todo_buf].changedtick
  vim.cmd(('%d,%dPlanDone'):format(first, first + 2))
  wait(5000, function()
    return vim.b[todo_buf].changedtick ~= tick
  end)
  seen.first = first
  seen.changed = changed_lines(before, lines(todo_buf))
  wait(5000, function()
    return plan_ls.status():find('12/20', 1, true) ~= nil
  end)
  seen.status = plan_ls.status()
end)

check('claim', function(seen)
  local row = line_of(todo_buf, '`habit streaks` prints')
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  local function after(cmd)
    local tick = vim.b[todo_buf].changedtick
    vim.cmd(cmd)
    wait(5000, function()
      return vim.b[todo_buf].changedtick ~= tick
    end)
    return lines(todo_buf)[row]
  end
  seen.before = lines(todo_buf)[row]
  seen.claimed = after('PlanClaim nvim-test')
  seen.released = after('PlanRelease')
end)

check('unknown_command', function(seen)
  local n = #results.messages
  plan_ls.execute('planLs.noSuchCommand')
  seen.messages = vim.list_slice(results.messages, n + 1)
end)

check('copy_prompt_lens', function(seen)
  vim.cmd.write()
  vim.cmd.edit(vim.fn.fnameescape(plan_path))
  local buf = vim.api.nvim_get_current_buf()
  local row = line_of(buf, '## Step 3')
  wait(5000, function()
    return #vim.lsp.codelens.get(buf) > 0
  end)
  seen.lenses = vim.tbl_map(function(l)
    return { line = l.range.start.line, title = l.command and l.command.title }
  end, vim.lsp.codelens.get(buf))
  seen.clipboard = vim.fn.has('clipboard') == 1
  local reg = seen.clipboard and '+' or '"'
  vim.fn.setreg(reg, '')
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.lsp.codelens.run()
  seen.register = vim.fn.getreg(reg)
end)

check('plan_next', function(seen)
  vim.cmd.buffer(todo_buf)
  vim.cmd('PlanNext')
  wait(5000, function()
    return vim.api.nvim_buf_get_name(0) ~= vim.api.nvim_buf_get_name(todo_buf)
  end)
  seen.file = vim.api.nvim_buf_get_name(0)
  seen.line = vim.api.nvim_get_current_line()
end)

check('open_step_and_copy', function(seen)
  vim.cmd('PlanOpenStep 5')
  wait(5000, function()
    return vim.api.nvim_get_current_line():find('Step 5', 1, true) ~= nil
  end)
  seen.file = vim.api.nvim_buf_get_name(0)
  seen.line = vim.api.nvim_get_current_line()
  local reg = vim.fn.has('clipboard') == 1 and '+' or '"'
  vim.fn.setreg(reg, '')
  vim.cmd('PlanCopyPrompt')
  wait(5000, function()
    return vim.fn.getreg(reg) ~= ''
  end)
  seen.register = vim.fn.getreg(reg)
end)

-- todo.md open and unmodified; an agent rewrites it; Neovim reloads it (autoread).
check('reload', function(seen)
  vim.cmd.buffer(todo_buf)
  local text = vim.fn.readfile(todo_path)
  for i, line in ipairs(text) do
    if line:find('Implement the write-to-temp', 1, true) then
      text[i] = line:gsub('%[ %]', '[x]', 1)
    end
  end
  vim.fn.writefile(text, todo_path)
  local later = os.time() + 2 -- a new mtime, however coarse the clock, for :checktime
  vim.uv.fs_utime(todo_path, later, later)
  vim.cmd.checktime()
  seen.reloaded = wait(5000, function()
    return plan_ls.status():find('13/20', 1, true) ~= nil
  end)
  seen.status = plan_ls.status()
end)

-- todo.md not open in Neovim at all: only the server's own file watcher can notice this
-- (Neovim 0.11 on Linux does not offer workspace/didChangeWatchedFiles).
check('watcher', function(seen)
  vim.cmd.edit(vim.fn.fnameescape(plan_path))
  vim.cmd.bwipeout(todo_buf)
  -- The server rereads todo.md on didClose: a round trip makes sure that is behind us.
  assert(plan_ls.client()):request_sync(
    'workspace/executeCommand',
    { command = 'planLs.status', arguments = { vim.empty_dict() } },
    5000
  )
  local text = vim.fn.readfile(todo_path)
  for i, line in ipairs(text) do
    if line:find('Output test with two known histories', 1, true) then
      text[i] = line:gsub('%[ %]', '[x]', 1)
    end
  end
  seen.before = plan_ls.status()
  vim.fn.writefile(text, todo_path .. '.tmp') -- as agents and git do: write, then rename
  vim.uv.fs_rename(todo_path .. '.tmp', todo_path)
  seen.reached = wait(5000, function()
    return plan_ls.status():find('14/20', 1, true) ~= nil
  end)
  seen.status = plan_ls.status()
end)

-- todo.md (closed) becomes unreadable on disk: :PlanStatus must say so, not "no drift".
check('status_unreadable', function(seen)
  local f = assert(io.open(todo_path, 'wb'))
  f:write('# Todo\n\0\1 not text\n- [ ] an item nobody can read\n')
  f:close()
  seen.reached = wait(5000, function()
    return plan_ls.status() == '' -- no checklist: no progress to show
  end)
  vim.cmd('PlanStatus')
  local buf
  wait(5000, function()
    buf = vim.iter(vim.api.nvim_list_bufs()):find(function(b)
      return vim.b[b].plan_ls_status == true
    end)
    return buf ~= nil
  end)
  assert(buf, ':PlanStatus opened no buffer')
  seen.lines = lines(buf)
  vim.cmd.close()
end)

-- No model (no key): :PlanGeneratePlan writes the rendered prompt only, and says so.
check('manual_generate', function(seen)
  local spec_path = project .. '/spec.md'
  local prompt_path = project .. '/.plan-ls/prompts-out/plan-tdd.md'
  vim.cmd.edit(vim.fn.fnameescape(spec_path))
  seen.plan_before = vim.fn.readfile(plan_path)
  vim.cmd('messages clear')
  local n = #results.messages
  vim.cmd('PlanGeneratePlan')
  wait(10000, function()
    return #results.messages > n
  end)
  seen.messages = vim.tbl_map(function(m)
    return m.msg
  end, vim.list_slice(results.messages, n + 1))
  seen.echoed = vim.api.nvim_exec2('messages', { output = true }).output
  seen.plan_unchanged = vim.deep_equal(seen.plan_before, vim.fn.readfile(plan_path))
  seen.plan_before = nil
  seen.prompt_written = vim.uv.fs_stat(prompt_path) ~= nil
end)

H.finish()
