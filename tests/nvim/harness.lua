-- What every headless Neovim script of the tests shares: the results file ($PLAN_LS_RESULT)
-- that Python asserts on, checks that record what they saw (and the error, if any), and the
-- exit code (the number of failed checks). Loaded with dofile() by the scripts beside it.
local H = {}

H.project = assert(vim.env.PLAN_LS_PROJECT, 'PLAN_LS_PROJECT is not set')
local result_path = assert(vim.env.PLAN_LS_RESULT, 'PLAN_LS_RESULT is not set')
H.results = { checks = {}, messages = {} }
H.failed = 0

-- Keep every message the client shows.
vim.notify = function(msg, level)
  table.insert(H.results.messages, { msg = msg, level = level })
end

function H.save()
  vim.fn.writefile({ vim.json.encode(H.results) }, result_path)
end

function H.wait(ms, cond)
  return vim.wait(ms, cond, 20)
end

--- The 1-based number of the first line of the buffer holding `needle`.
function H.line_of(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(needle, 1, true) then
      return i
    end
  end
  error(('%q not in buffer %d'):format(needle, bufnr))
end

--- Run one check: `fn(seen)` fills `seen`; a failure is recorded, never raised.
function H.check(name, fn)
  local seen, t0 = {}, vim.uv.hrtime()
  local ok, err = xpcall(fn, debug.traceback, seen)
  seen.ok, seen.seconds = ok, (vim.uv.hrtime() - t0) / 1e9
  if not ok then
    seen.error = err
    H.failed = H.failed + 1
  end
  H.results.checks[name] = seen
  H.save()
end

--- Save the results and quit with the number of failed checks as the exit code.
function H.finish()
  H.results.failed = H.failed
  H.save()
  vim.cmd('cquit ' .. H.failed)
end

return H
