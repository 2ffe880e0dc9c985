"""The LLM side of plan-ls. It knows no editor: features/generation.py (or the CLI, review/run.py)
decides where the text goes.

- `templates`: the prompt templates (`render_template`, `list_templates`), with project overrides
- `client`: streaming chat completions from any OpenAI-compatible endpoint, with retries
- `transcript`: the interview transcript format
"""
