"""The LLM side of plan-ls.

- `templates`: the prompt templates (`render_template`, `list_templates`), with project overrides
- `client`: streaming chat completions from any OpenAI-compatible endpoint, with retries
- `writer`: applying a streamed answer to a document in batches
- `generation`: one action end to end (progress, cancel, messages, manual mode)
- `transcript`: the interview transcript format
"""
