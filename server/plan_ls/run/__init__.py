"""Executing the plan: run a step's prompt with a coding agent, gated by the tests.

`engine.run_steps` is the loop (pick, claim, prompt, agent, tests, tick, commit, record);
`process` runs a child in its own process group; `agents` holds the presets; `tests`
finds and summarises a test command; `git` the few git calls; `record` the runs log
(`.plan-ls/runs.jsonl`). No editor here: the CLI and the server drive the engine.
"""
