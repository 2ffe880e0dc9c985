"""The context budget: how many tokens a model can take, whether a prompt fits, and how many
tokens its answer may have (`max_tokens`).

A model's context window comes from `planLs.llm.contextTokens` (or `--context-tokens`), else
from a small table of well-known model names, else DEFAULT_CONTEXT. Prompts are counted
offline with the o200k_base encoding (plan_ls/tokens.py): exact for current OpenAI models, an
estimate for others, which is why a margin is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_CONTEXT = 128_000
DEFAULT_MAX_OUTPUT = 16_384
ENCODING = "o200k_base"

# (name fragment, context window, largest answer or None = the window, parameter name).
# The longest fragment found in the lower-cased model name wins.
KNOWN_MODELS: tuple[tuple[str, int, int | None, str], ...] = (
    ("gpt-4.1", 1_047_576, 32_768, "max_tokens"),
    ("gpt-4o", 128_000, 16_384, "max_tokens"),
    ("gpt-4-turbo", 128_000, 4_096, "max_tokens"),
    ("gpt-3.5-turbo", 16_385, 4_096, "max_tokens"),
    ("gpt-5", 400_000, 128_000, "max_completion_tokens"),
    ("o1", 200_000, 100_000, "max_completion_tokens"),
    ("o3", 200_000, 100_000, "max_completion_tokens"),
    ("o4-mini", 200_000, 100_000, "max_completion_tokens"),
    ("claude", 200_000, 8_192, "max_tokens"),
    ("gemini", 1_048_576, 8_192, "max_tokens"),
    ("smollm2", 8_192, None, "max_tokens"),
    ("llama3.1", 131_072, None, "max_tokens"),
    ("llama-3.1", 131_072, None, "max_tokens"),
    ("llama3", 8_192, None, "max_tokens"),
    ("llama-3", 8_192, None, "max_tokens"),
    ("qwen2.5", 32_768, None, "max_tokens"),
    ("mistral", 32_768, None, "max_tokens"),
    ("phi3", 4_096, None, "max_tokens"),
)


@dataclass(frozen=True)
class ModelLimits:
    context: int  # tokens the model reads and writes in all
    max_output: int  # the most one answer may have
    parameter: str  # the request field that carries it
    source: str  # where `context` came from, for messages


def model_limits(model: str, context_tokens: int = 0) -> ModelLimits:
    """The limits of `model`; `context_tokens` > 0 (the setting) overrides the table."""
    name = model.lower().rsplit("/", 1)[-1]
    found = max((row for row in KNOWN_MODELS if row[0] in name), key=lambda r: len(r[0]),
                default=None)
    parameter = found[3] if found else "max_tokens"
    if context_tokens > 0:
        output = found[2] if found and found[2] else context_tokens
        return ModelLimits(context_tokens, min(output, context_tokens), parameter,
                           "planLs.llm.contextTokens")
    if found is not None:
        return ModelLimits(found[1], found[2] or found[1], parameter,
                           f"the known window of {found[0]} models")
    return ModelLimits(DEFAULT_CONTEXT, DEFAULT_MAX_OUTPUT, parameter,
                       "the default for an unknown model")


def count_tokens(text: str) -> int:
    """Tokens of `text` in ENCODING, counted offline."""
    from plan_ls.tokens import counter

    return counter(ENCODING)(text)


class OverBudget(ValueError):
    """The prompt leaves no room for an answer in the model's context; `message` says the
    figures and what to do."""

    def __init__(self, message: str, prompt_tokens: int, context: int) -> None:
        super().__init__(message)
        self.message = message
        self.prompt_tokens = prompt_tokens
        self.context = context


@dataclass(frozen=True)
class Budget:
    prompt_tokens: int
    max_tokens: int  # for the answer
    limits: ModelLimits

    @property
    def long_prompt(self) -> bool:
        """A prompt that takes most of the window: an empty answer may mean it overflowed
        (our count is an estimate for other tokenizers)."""
        return self.prompt_tokens > self.limits.context // 2


def margin(prompt_tokens: int) -> int:
    """Tokens kept free beside the prompt: the chat template, and another tokenizer's
    count being higher than ours."""
    return 64 + math.ceil(prompt_tokens * 0.1)


def plan_budget(prompt: str, model: str, context_tokens: int = 0, *,
                answer_tokens: int | None = None, hint: str = "") -> Budget:
    """The budget of one request, or OverBudget when the prompt leaves too little room.

    `answer_tokens` caps the answer below what the window allows (a short question);
    `hint` is added to the refusal (what else the user can do, e.g. pack --max-tokens).
    """
    limits = model_limits(model, context_tokens)
    tokens = count_tokens(prompt)
    room = limits.context - tokens - margin(tokens)
    wanted = min(answer_tokens or limits.max_output, limits.max_output)
    needed = min(wanted, max(256, limits.context // 16))
    if room < needed:
        raise OverBudget(
            f"the prompt is {tokens:,} tokens ({ENCODING}), but model '{model}' has a "
            f"context of {limits.context:,} tokens ({limits.source}), which leaves "
            f"{max(room, 0):,} for the answer; it needs at least {needed:,}. Shorten the "
            f"input, choose a model with a larger context (--model), or, if this model's "
            f"window is larger, say so with --context-tokens / planLs.llm.contextTokens"
            + (f"; {hint}" if hint else "") + ".", tokens, limits.context)
    return Budget(tokens, min(room, wanted), limits)
