"""Existing codebases: the pure logic behind code review, issues and missing tests.

Parsing the answers (findings that point at `path:line`, issues shaped for GitHub), posting
issues through the GitHub CLI, the bundle's freshness, and exports for task runners and the
`llm` CLI. Nothing here imports pygls; the LSP side is `plan_ls.features.review`.
"""
