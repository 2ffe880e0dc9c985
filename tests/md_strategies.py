"""Hypothesis strategies for markdown as people write planning files (and worse).

Line-based, so that block structure is hit often: every line is an indentation, a container
prefix (quotes, list markers), and a body (boxes, headings, fences, HTML, tables, front matter
markers, prose that may continue a paragraph lazily), joined by LF, CRLF or CR.
"""

from __future__ import annotations

from hypothesis import strategies as st

_INDENTS = st.sampled_from(["", "", "", " ", "  ", "   ", "    ", "\t", "  \t", "      "])
_PREFIXES = st.sampled_from([
    "", "", "", "", "> ", ">", "> > ", ">   ", "- ", "* ", "1. ", "2) ", "- - ", "> - ",
    ">   - ", "-", "+ ",
])
_BODIES = st.sampled_from([
    "", "", "text", "lazy continuation", "[ ] open", "[x] done", "[X] Done", "[~] busy",
    "[] bad", "[ ]", "- [ ] item", "# Heading", "## Step 2: Build", "### Prompt 3 – Go",
    "#", "#no space", "```", "```text", "````", "~~~", "```ts", "``` `bad` info",
    "<div>", "</div>", "<!-- note", "-->", "<!-- one line -->", "<pre>", "</pre>",
    "<?php", "?>", "<!DOCTYPE x>", "<script>", "</script>", "<details>", "<summary>Done</summary>",
    "| a | b |", "|---|---|", "| [ ] x | y |", "---", "***", "===", "title: x", "...",
    "**Prompt 1:** do it", "Step 1.1: Title.", "Prompt 4: Title", "ü🚀 ☕", "\ufeff", "\x00",
    "[✅] done", "[🟡] half", "▶ [ ] sub", "[P] = parallel", "\\#\\# Step 9", "`code`",
])
_ENDINGS = st.sampled_from(["\n", "\n", "\n", "\n", "\r\n", "\r"])

_STRUCTURE = st.sampled_from([  # column-0 lines that open, close or cut blocks
    "# Heading", "## Step 1", "```", "~~~", "<div>", "<!--", "-->", "---", "", "- [ ] x",
    "  ```", "- ```", "> ```", "<pre>", "</pre>", "text", "> - a", ">   - b", "> 1. [ ] c",
    ">    - [x] d", "| a | b |", "|---|---|",
])
lines = st.one_of(
    st.tuples(_INDENTS, _PREFIXES, _BODIES, _ENDINGS).map(lambda t: "".join(t)),
    st.tuples(_STRUCTURE, _ENDINGS).map(lambda t: "".join(t)),
)
front_matter = st.sampled_from(["", "", "---\ntitle: plan\n---\n", "---\n# not a heading\n",
                                "---\na: b\n\n# x\n---\n", "\ufeff---\nx: 1\n---\n"])
markdown_texts = st.tuples(front_matter, st.lists(lines, max_size=40)).map(
    lambda t: t[0] + "".join(t[1]))
