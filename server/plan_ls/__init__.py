"""plan-ls: a language server for the spec -> plan -> todo way of building with LLMs."""

__version__ = "0.1.0"
