-- Neovim side of plan-ls: the statusline progress, the client-side commands the server sends,
-- and :Plan* user commands that call the server through workspace/executeCommand.
local M = {}

local NAME = 'plan_ls'
local WARN, ERROR = vim.log.levels.WARN, vim.log.levels.ERROR

local progress = {} ---@type table<integer, table> last planLs/progress, by client id
local status_targets = {} ---@type table<integer, table<integer, {path: string, line: integer}>>

local function notify(msg, level)
  vim.notify('plan-ls: ' .. msg, level or vim.log.levels.INFO)
end

--- The plan-ls client of a buffer's project: the one attached to it, else the one whose root
--- holds the buffer's file (or the cwd, for a buffer without a file).
---@param bufnr? integer
---@return vim.lsp.Client?
local function project_client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local attached = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })[1]
  if attached then
    return attached
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local path = name ~= '' and name or vim.fn.getcwd()
  for _, client in ipairs(vim.lsp.get_clients({ name = NAME })) do
    if client.root_dir and vim.fs.relpath(client.root_dir, path) then
      return client
    end
  end
end

--- The plan-ls client for commands run from a buffer: its project's, else any running one.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return project_client(bufnr) or vim.lsp.get_clients({ name = NAME })[1]
end

-- Progress ---------------------------------------------------------------------------------

--- Handler of the server's planLs/progress notification ({done, total, nextStep, files}).
function M.on_progress(_, result, ctx)
  progress[ctx.client_id] = result
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client and vim.g.plan_ls_codelens ~= false then
    -- Neovim 0.11 has no workspace/codeLens/refresh: a new plan state is our cue.
    for bufnr in pairs(client.attached_buffers) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      end
    end
  end
  vim.api.nvim_exec_autocmds(
    'User',
    { pattern = 'PlanLsProgress', data = result, modeline = false }
  )
  vim.cmd.redrawstatus({ bang = true })
end

--- The last progress the server of a buffer's project reported, or nil.
---@param bufnr? integer
function M.progress(bufnr)
  local client = project_client(bufnr)
  return client and progress[client.id]
end

--- A plan's name for people: its folder's name ("Prompt plan" for the root's).
local function plan_label(plan)
  if plan.id == '.' or not plan.id then
    return 'Prompt plan'
  end
  return (plan.name and plan.name ~= '') and plan.name or vim.fs.basename(plan.id)
end

--- The plan (an entry of planLs/progress `plans`) whose files hold the buffer's file, or nil.
---@param p table? the last planLs/progress
---@param bufnr? integer
function M.plan_of_buffer(p, bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local name = vim.api.nvim_buf_get_name(bufnr)
  if type(p) ~= 'table' or type(p.plans) ~= 'table' or name == '' then
    return nil
  end
  local want = vim.fs.normalize(name)
  for _, plan in ipairs(p.plans) do
    for _, uri in ipairs(plan.files or {}) do
      if vim.fs.normalize(vim.uri_to_fname(uri)) == want then
        return plan
      end
    end
  end
end

--- The project root of a buffer: the nearest folder with a planning file or .git, looked for
--- from outside a spec-kit, Kiro or OpenSpec plan folder (their spec.md is the plan's own,
--- not a project's). Used as the client config's root_dir.
---@param bufnr integer
---@param on_dir fun(root: string)
function M.root_dir(bufnr, on_dir)
  local name = vim.fs.normalize(vim.api.nvim_buf_get_name(bufnr))
  if name == '' then
    return
  end
  local start = name
  for _, pattern in ipairs({ '^(.*)/%.kiro/specs/', '^(.*)/openspec/changes/', '^(.*)/specs/[^/]+/' }) do
    local outer = name:match(pattern)
    if outer then
      start = outer .. '/.'
      break
    end
  end
  local root = vim.fs.root(start, { { 'todo.md', 'prompt_plan.md', 'spec.md' }, '.git' })
  if root then
    on_dir(root)
  elseif start ~= name then
    on_dir(vim.fs.dirname(start)) -- a project with only other tools' plans
  end
end

--- A short progress text for the statusline, e.g. "✓ 8/20 · Step 3"; "" outside a project.
--- In another tool's plan (a spec-kit feature, a Kiro spec), that plan's, named: "sync ✓ 1/4".
---@param bufnr? integer
---@return string
function M.status(bufnr)
  local p = M.progress(bufnr)
  local plan = M.plan_of_buffer(p, bufnr)
  if plan and plan.id ~= '.' then
    return ('%s ✓ %d/%d'):format(plan_label(plan), plan.done or 0, plan.total or 0)
  end
  if type(p) ~= 'table' or not p.total or p.total == 0 then
    return ''
  end
  local text = ('✓ %d/%d'):format(p.done, p.total)
  if type(p.nextStep) == 'table' then
    return text .. ' · Step ' .. p.nextStep.number
  end
  return p.done == p.total and text .. ' · all done' or text
end

-- Client-side commands ---------------------------------------------------------------------

--- planLs.copyToClipboard {text, step}: the system clipboard if there is one, else `"`.
---@param command lsp.Command
function M.copy_to_clipboard(command)
  local arg = (command.arguments or {})[1] or {}
  if type(arg.text) ~= 'string' or arg.text == '' then
    return notify('nothing to copy', WARN)
  end
  local reg = vim.fn.has('clipboard') == 1 and '+' or '"'
  vim.fn.setreg(reg, arg.text)
  local what = arg.step and ('prompt of step ' .. arg.step) or 'prompt'
  notify(('copied the %s to register %s'):format(what, reg))
end

-- Server commands --------------------------------------------------------------------------

--- Runs a server command with one argument object and hands its result to on_result.
---@param command string
---@param args? table
---@param on_result? fun(result: any, client: vim.lsp.Client)
---@param bufnr? integer
function M.execute(command, args, on_result, bufnr)
  local client = M.client(bufnr)
  if not client then
    return notify('not running here: open todo.md, prompt_plan.md or spec.md first', WARN)
  end
  local provider = client.server_capabilities.executeCommandProvider
  if not vim.list_contains(type(provider) == 'table' and provider.commands or {}, command) then
    return notify(
      ('this plan-ls server does not offer %s (a newer plan-ls may)'):format(command),
      WARN
    )
  end
  if args == nil or next(args) == nil then
    args = vim.empty_dict() -- an object, not []
  end
  client:request(
    'workspace/executeCommand',
    { command = command, arguments = { args } },
    function(err, result)
      if err then
        return notify(('%s failed: %s'):format(command, err.message), ERROR)
      end
      if on_result then
        on_result(result, client)
      end
    end,
    bufnr
  )
end

local function buf_uri()
  return vim.uri_from_bufnr(vim.api.nvim_get_current_buf())
end

local function cursor_line()
  return vim.api.nvim_win_get_cursor(0)[1] - 1
end

--- What a command that writes a file answers ({ok, manual, path, prompt_path, ...}): say what
--- happened. In manual mode only the rendered prompt was written, never `path`; a failed or
--- cancelled run was already explained by the server.
local function report_written(result)
  if type(result) ~= 'table' or not result.ok then
    return
  end
  local function show(p)
    return vim.fn.fnamemodify(p, ':~:.')
  end
  if result.manual then
    if result.prompt_path then
      notify(
        ('no model (manual mode): wrote the prompt to %s; paste it into a chat and put the '
          .. 'answer into %s (not changed)'):format(
          show(result.prompt_path),
          result.path and vim.fn.fnamemodify(result.path, ':t') or 'the target file'
        )
      )
    end
  elseif result.path then
    notify('wrote ' .. show(result.path))
  end
end

-- :PlanStatus ------------------------------------------------------------------------------

local function pad(text, width)
  return text .. (' '):rep(width - vim.fn.strdisplaywidth(text))
end

--- Turns the planLs.status object (and the last progress' `plans` and `mergeDriver`) into
--- lines, and a map of line -> place to jump to.
local function status_lines(s, next_number, plans, merge_driver)
  local todo, plan = s.todo or {}, s.plan or {}
  local steps, diags = plan.steps or {}, s.diagnostics or {}
  local lines, targets, hls = {}, {}, {}
  local head = ('plan-ls · %d/%d done'):format(todo.done or 0, todo.total or 0)
  if next_number then
    head = head .. ' · next: Step ' .. next_number
  end
  lines[1], hls[1] = head, 'Title'
  if merge_driver == 'attributes' or merge_driver == 'config' then
    lines[#lines + 1] = 'git merges of the plan lack the plan-ls merge driver: run `plan-ls init --git`'
    hls[#lines] = 'DiagnosticWarn'
  end
  -- every plan of the workspace, when there are several (the rest is the root's plan)
  if type(plans) == 'table' and #plans > 1 then
    lines[#lines + 1] = ''
    lines[#lines + 1], hls[#lines + 1] = ('Plans (%d)'):format(#plans), 'Title'
    local width = 0
    for _, plan in ipairs(plans) do
      width = math.max(width, vim.fn.strdisplaywidth(plan_label(plan)))
    end
    for _, plan in ipairs(plans) do
      local total, done = plan.total or 0, plan.done or 0
      local complete = total > 0 and done == total
      local row = ('  %s %s  %-11s %d/%d'):format(
        complete and '✓' or '○',
        pad(plan_label(plan), width),
        plan.format or '',
        done,
        total
      )
      if type(plan.nextStep) == 'table' then
        row = row .. '  next: ' .. tostring(plan.nextStep.number)
      end
      if plan.archived then
        row = row .. '  (archived)'
      end
      lines[#lines + 1] = row
      hls[#lines] = complete and 'DiagnosticOk' or nil
      local first = (plan.files or {})[1]
      if first then
        targets[#lines] = { path = vim.uri_to_fname(first), line = 1 }
      end
    end
  end
  -- files that exist but cannot be read: until they can, the counts and the drift are partial
  local unreadable = type(s.unreadable) == 'table' and s.unreadable or {}
  if #unreadable > 0 then
    lines[#lines + 1] = ''
    lines[#lines + 1], hls[#lines + 1] = ('Unreadable (%d)'):format(#unreadable), 'Title'
    for _, u in ipairs(unreadable) do
      local path = tostring(u.path)
      local reason = tostring(u.reason)
      if vim.startswith(reason, path .. ': ') then
        reason = reason:sub(#path + 3) -- the line names the file already
      end
      lines[#lines + 1] = ('  %s  %s'):format(vim.fn.fnamemodify(path, ':t'), reason)
      hls[#lines] = 'DiagnosticError'
    end
  end
  if #steps > 0 then
    local width = 0
    for _, st in ipairs(steps) do
      width = math.max(width, vim.fn.strdisplaywidth(('Step %s  %s'):format(st.number, st.title)))
    end
    lines[#lines + 1] = ''
    lines[#lines + 1], hls[#lines + 1] = 'Steps', 'Title'
    for _, st in ipairs(steps) do
      local total, done = st.todo_total or 0, st.todo_done or 0
      local complete = total > 0 and done == total
      local count = total > 0 and ('%d/%d'):format(done, total) or 'no todo items'
      local row = ('  %s %s  %s'):format(
        complete and '✓' or '○',
        pad(('Step %s  %s'):format(st.number, st.title), width),
        count
      )
      if st.number == next_number then
        row = row .. '  ← next'
      end
      lines[#lines + 1] = row
      hls[#lines] = complete and 'DiagnosticOk' or nil
      targets[#lines] = { path = plan.path, line = st.line }
    end
  end
  if #diags > 0 then
    lines[#lines + 1] = ''
    lines[#lines + 1], hls[#lines + 1] = ('Drift (%d)'):format(#diags), 'Title'
    for _, d in ipairs(diags) do
      lines[#lines + 1] = ('  %s:%d  %s  %s'):format(
        vim.fn.fnamemodify(d.path, ':t'),
        d.line,
        d.severity,
        d.message
      )
      hls[#lines] = d.severity == 'error' and 'DiagnosticError' or 'DiagnosticWarn'
      targets[#lines] = { path = d.path, line = d.line }
    end
  elseif #unreadable > 0 then
    lines[#lines + 1] = ''
    lines[#lines + 1] = 'Drift unknown: a planning file cannot be read.'
  else
    lines[#lines + 1] = ''
    lines[#lines + 1] = 'No drift between the plan and the checklist.'
  end
  lines[#lines + 1] = ''
  lines[#lines + 1], hls[#lines + 1] = '<CR> jump · q close', 'Comment'
  return lines, targets, hls
end

local function jump_from_status()
  local target = (status_targets[vim.api.nvim_get_current_buf()] or {})[vim.fn.line('.')]
  if not target or not target.path then
    return
  end
  vim.cmd.wincmd('p')
  vim.cmd.edit(vim.fn.fnameescape(target.path))
  vim.api.nvim_win_set_cursor(0, { target.line, 0 })
end

--- Shows lines in the status scratch window (reused while it is open).
local function show_status_buffer(lines, targets, hls)
  local buf
  for _, win in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    local b = vim.api.nvim_win_get_buf(win)
    if vim.b[b].plan_ls_status then
      buf = b
      vim.api.nvim_set_current_win(win)
      break
    end
  end
  if not buf then
    buf = vim.api.nvim_create_buf(false, true)
    vim.bo[buf].bufhidden = 'wipe'
    vim.b[buf].plan_ls_status = true
    pcall(vim.api.nvim_buf_set_name, buf, 'plan-ls://status')
    vim.cmd('botright sbuffer ' .. buf)
    vim.keymap.set('n', 'q', '<cmd>close<cr>', { buffer = buf, nowait = true })
    vim.keymap.set('n', '<cr>', jump_from_status, { buffer = buf })
    vim.api.nvim_create_autocmd('BufWipeout', {
      buffer = buf,
      callback = function()
        status_targets[buf] = nil
      end,
    })
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.api.nvim_win_set_height(0, math.min(#lines, math.floor(vim.o.lines / 2)))
  status_targets[buf] = targets
  local ns = vim.api.nvim_create_namespace('plan_ls_status')
  vim.api.nvim_buf_clear_namespace(buf, ns, 0, -1)
  for row, group in pairs(hls) do
    vim.api.nvim_buf_set_extmark(buf, ns, row - 1, 0, { end_col = #lines[row], hl_group = group })
  end
  return buf
end

function M.show_status()
  M.execute('planLs.status', nil, function(s, client)
    if type(s) ~= 'table' then
      return notify('no status', WARN)
    end
    local p = progress[client.id]
    local nxt = type(p) == 'table' and type(p.nextStep) == 'table' and p.nextStep.number or nil
    show_status_buffer(status_lines(s, nxt, type(p) == 'table' and p.plans or nil,
      type(p) == 'table' and p.mergeDriver or nil))
  end)
end

-- The other commands -----------------------------------------------------------------------

local function mark(done)
  local command = done and 'planLs.markDone' or 'planLs.markNotDone'
  return function(opts)
    local args
    if opts.args ~= '' then
      args = { step = opts.args } -- the server finds todo.md itself
    else
      local lines = {}
      for l = opts.line1, opts.line2 do
        lines[#lines + 1] = l - 1
      end
      args = { uri = buf_uri(), lines = lines }
    end
    M.execute(command, args, function(r)
      if type(r) == 'table' and r.applied then
        local n = r.changed or 0
        notify(
          n == 0 and 'nothing to change'
            or ('%d item%s marked %s'):format(
              n,
              n == 1 and '' or 's',
              done and 'done' or 'not done'
            )
        )
      end
    end)
  end
end

function M.next_step()
  M.execute('planLs.nextStep', nil, function(step, client)
    if type(step) ~= 'table' then
      return notify('every step is done')
    end
    local pos = { line = step.line, character = 0 }
    vim.lsp.util.show_document(
      { uri = step.uri, range = { start = pos, ['end'] = pos } },
      client.offset_encoding,
      { focus = true }
    )
    vim.cmd('normal! zt')
    notify(('next: Step %s — %s'):format(step.number, step.title))
  end)
end

local function copy_next_prompt()
  M.execute('planLs.nextStep', nil, function(step)
    if type(step) ~= 'table' then
      return notify('every step is done')
    end
    M.copy_to_clipboard({
      title = '',
      command = 'planLs.copyToClipboard',
      arguments = { { text = step.prompt, step = step.number } },
    })
  end)
end

local function selected_range(opts)
  local client = M.client()
  local enc = client and client.offset_encoding or 'utf-16'
  local last = vim.api.nvim_buf_get_lines(0, opts.line2 - 1, opts.line2, false)[1] or ''
  return {
    start = { line = opts.line1 - 1, character = 0 },
    ['end'] = { line = opts.line2 - 1, character = vim.str_utfindex(last, enc) },
  }
end

local function position()
  local client = M.client()
  local enc = client and client.offset_encoding or 'utf-16'
  return vim.lsp.util.make_position_params(0, enc).position
end

--- :Name -> { fn = handler } or { command = server command, args = fun(opts): table?,
--- on_result = fun(result)? }, plus the user-command attributes (desc, nargs, range, complete).
local COMMANDS = {
  PlanDone = {
    fn = mark(true),
    range = true,
    nargs = '?',
    desc = 'Mark the item under the cursor, the selected items or step N done',
  },
  PlanUndone = {
    fn = mark(false),
    range = true,
    nargs = '?',
    desc = 'Mark the item under the cursor, the selected items or step N not done',
  },
  PlanStatus = { fn = M.show_status, desc = 'Show progress, steps and drift' },
  PlanNext = { fn = M.next_step, desc = 'Open prompt_plan.md at the next step' },
  PlanCopyPrompt = { fn = copy_next_prompt, desc = "Copy the next step's prompt" },
  PlanOpenStep = {
    command = 'planLs.openStep',
    args = function(o)
      return { number = o.args }
    end,
    nargs = 1,
    desc = 'Open prompt_plan.md at step N',
  },
  PlanInsertPrompt = {
    command = 'planLs.insertPrompt',
    args = function(o)
      return { uri = buf_uri(), position = position(), step = o.args ~= '' and o.args or nil }
    end,
    nargs = '?',
    desc = "Insert the next step's prompt (or step N's) at the cursor",
  },
  PlanClaim = {
    command = 'planLs.claim',
    args = function(o)
      return { uri = buf_uri(), line = cursor_line(), name = o.args ~= '' and o.args or nil }
    end,
    on_result = function(r)
      if type(r) == 'table' and r.applied and r.claim then
        notify('claimed for @' .. r.claim)
      end
    end,
    nargs = '?',
    desc = 'Claim the item or step under the cursor (as NAME)',
  },
  PlanRelease = {
    command = 'planLs.release',
    args = function()
      return { uri = buf_uri(), line = cursor_line() }
    end,
    on_result = function(r)
      if type(r) == 'table' and r.applied then
        notify('released')
      end
    end,
    desc = 'Release the claim on the item or step under the cursor',
  },
  PlanBrainstorm = {
    command = 'planLs.brainstorm',
    args = function(o)
      return { uri = buf_uri(), range = selected_range(o) }
    end,
    range = true,
    desc = 'Start a spec interview from the selected idea',
  },
  PlanNextQuestion = {
    command = 'planLs.nextQuestion',
    args = function()
      return { uri = buf_uri() }
    end,
    desc = 'Ask the next interview question',
  },
  PlanCompileSpec = {
    command = 'planLs.compileSpec',
    args = function()
      return { uri = buf_uri() }
    end,
    on_result = report_written,
    desc = 'Compile the interview into spec.md',
  },
  PlanGeneratePlan = {
    command = 'planLs.generatePlan',
    args = function(o)
      return { uri = buf_uri(), flavour = o.args ~= '' and o.args or 'tdd' }
    end,
    on_result = report_written,
    nargs = '?',
    complete = function()
      return { 'tdd', 'plain' }
    end,
    desc = 'Write prompt_plan.md from spec.md (tdd or plain)',
  },
  PlanGenerateTodo = {
    command = 'planLs.generateTodo',
    args = function()
      return { uri = buf_uri() }
    end,
    on_result = report_written,
    desc = 'Write todo.md from the plan',
  },
  PlanPack = {
    command = 'planLs.pack',
    args = function(o)
      return { root = o.args ~= '' and o.args or nil }
    end,
    on_result = function(r)
      if type(r) == 'table' and r.path then
        notify(
          ('packed %d files (%s tokens) into %s; %d left out'):format(
            r.files or 0,
            r.tokens or '?',
            vim.fn.fnamemodify(r.path, ':~:.'),
            #(r.excluded or {})
          )
        )
      end
    end,
    nargs = '?',
    complete = 'dir',
    desc = 'Pack the repository into one bundle',
  },
  PlanReview = {
    command = 'planLs.review',
    on_result = report_written,
    desc = 'Ask for a code review',
  },
  PlanIssues = {
    command = 'planLs.issues',
    on_result = report_written,
    desc = 'Ask for GitHub issues',
  },
  PlanMissingTests = {
    command = 'planLs.missingTests',
    on_result = report_written,
    desc = 'Ask for missing tests',
  },
  PlanRun = {
    command = 'planLs.runStep',
    args = function(o)
      return { step = o.args ~= '' and o.args or nil }
    end,
    nargs = '?',
    desc = 'Run the next step (or step N) with the coding agent, gated by the tests',
  },
  PlanRunStop = {
    command = 'planLs.cancelRun',
    desc = "Stop the running step (its agent's processes)",
  },
  PlanRunLog = {
    command = 'planLs.runLog',
    on_result = function(r)
      if type(r) ~= 'table' or type(r.uri) ~= 'string' then
        return notify('no step has run with an agent here yet')
      end
      vim.cmd.split(vim.fn.fnameescape(vim.uri_to_fname(r.uri)))
    end,
    desc = "Open the agent's log of the last run",
  },
}

-- A server that cannot start ------------------------------------------------------------------

local told_missing = false

--- The program `cmd` names when it is not executable, else nil (also nil for a cmd function,
--- which starts the server its own way).
---@param cmd any
---@return string?
function M.missing_executable(cmd)
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    return nil
  end
  return vim.fn.executable(cmd[1]) == 0 and cmd[1] or nil
end

--- vim.lsp.enable skips a config whose cmd is not executable without a word (Neovim 0.11 only
--- logs it), so `K` falls back to `man` and nothing says why: say it once per session, for the
--- first buffer the server would have attached to.
---@param bufnr integer
function M.check_executable(bufnr)
  if told_missing or not vim.lsp.is_enabled(NAME) then
    return
  end
  local config = vim.lsp.config[NAME] or {}
  local exe = M.missing_executable(config.cmd)
  if not exe then
    return
  end
  if config.filetypes and not vim.list_contains(config.filetypes, vim.bo[bufnr].filetype) then
    return
  end
  if config.root_markers and not vim.fs.root(bufnr, config.root_markers) then
    return -- not in a project: the server would not have started here either
  end
  told_missing = true
  notify(
    ('cannot start the language server: %s is not on PATH (or not executable), so plan '
      .. 'features are off in this session. Install it with `pip install plan-ls` (or '
      .. "`pipx install plan-ls`), or tell Neovim where it is: vim.lsp.config('plan_ls', "
      .. "{ cmd = { '/path/to/plan-ls', 'serve' } })"):format(exe),
    WARN
  )
end

local did_setup = false

--- Defines the :Plan* commands and the code lens refresh; runs once (plugin/plan_ls.lua).
function M.setup()
  if did_setup then
    return
  end
  did_setup = true
  for name, spec in pairs(COMMANDS) do
    local fn = spec.fn
    if not fn then
      fn = function(opts)
        M.execute(spec.command, spec.args and spec.args(opts), spec.on_result)
      end
    end
    vim.api.nvim_create_user_command(name, fn, {
      desc = spec.desc,
      nargs = spec.nargs,
      range = spec.range,
      complete = spec.complete,
    })
  end

  local group = vim.api.nvim_create_augroup('plan_ls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    callback = function(ev)
      if vim.bo[ev.buf].buftype == '' then
        M.check_executable(ev.buf)
      end
    end,
  })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if not client or client.name ~= NAME or vim.g.plan_ls_codelens == false then
        return
      end
      if client:supports_method('textDocument/codeLens') then
        vim.lsp.codelens.refresh({ bufnr = ev.buf })
        vim.api.nvim_clear_autocmds({ group = group, buffer = ev.buf })
        vim.api.nvim_create_autocmd('BufEnter', {
          group = group,
          buffer = ev.buf,
          callback = function()
            vim.lsp.codelens.refresh({ bufnr = ev.buf })
          end,
        })
      end
    end,
  })
end

return M
