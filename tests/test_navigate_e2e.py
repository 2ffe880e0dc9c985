"""Navigation through the language server (issue 16): definition, references, document and
workspace symbols, folding ranges, prepareRename and rename, under VS Code's and Neovim's
capabilities (UTF-16 and UTF-8 columns). Every range is checked by reading the text it
covers the way an editor of that encoding does."""

from __future__ import annotations

import asyncio
import time

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import (
    SERVER,
    apply_to_text,
    capabilities_of,
    end_session,
    lsp_session,
    make_client,
    open_doc,
    session_reset,
    str_index,
    wait_until,
)

PLAN = """# Plan for a café app

## Phase 1: Ground

### Step 1: Crème setup ☕

```text
Create the repository.
```

### Step 2: Store 🚀 data

```text
Build on Step 1; keep the store small.
```

## Phase 2: Surface

### Step 3: Page

```text
Show the data from step 2 on a page.
```
"""
# written with CRLF line endings on disk, never opened: the rename edits it through the edit
TODO = """# Todo

## Step 1: Crème setup ☕
- [x] Make the repo 🎉 (@zoë)
## Step 2: Store 🚀 data
- [ ] Write the store (Step 2) 🚀
- [ ] Add an index
## Step 3: Page
- [ ] Render — after step 2 ✨
"""
REVIEW = "# Review\n\n- Rounding ☕ is off in src/app.py:2 and in ../outside.py:1\n"


def make_project(folder):
    root = folder / "café"
    (root / "src").mkdir(parents=True)
    (root / "prompt_plan.md").write_text(PLAN, encoding="utf-8")
    (root / "todo.md").write_bytes(TODO.replace("\n", "\r\n").encode())
    (root / "code-review.md").write_text(REVIEW, encoding="utf-8")
    (root / "src" / "app.py").write_text("a = 1\nb = 2\n", encoding="utf-8")
    (folder / "outside.py").write_text("secret = 1\n", encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


# One server per client for the whole module; each test starts from the project's state.
OPTIONS = {"planLs": {"user": "ana"}}
pytestmark = [pytest.mark.asyncio(loop_scope="module")]
client = lsp_session(make_project, options=OPTIONS)

fresh_state = session_reset()


def column(line: str, index: int, encoding: str) -> int:
    """The client's column of str index `index` (what an editor sends for a cursor)."""
    prefix = line[:index]
    if encoding == "utf-8":
        return len(prefix.encode())
    if encoding == "utf-16":
        return len(prefix.encode("utf-16-le")) // 2
    return len(prefix)


def at(client: LanguageClient, text: str, needle: str, offset: int = 0) -> t.Position:
    """The client's position of `needle` (plus `offset` characters) in `text`."""
    for n, line in enumerate(text.split("\n")):
        i = line.find(needle)
        if i >= 0:
            return t.Position(line=n, character=column(line, i + offset, client.encoding))
    raise AssertionError(needle)


def covered(client: LanguageClient, text: str, rng: t.Range) -> str:
    """The text a one-line range covers, read in the client's encoding."""
    assert rng.start.line == rng.end.line
    line = text.split("\n")[rng.start.line].rstrip("\r")
    return line[str_index(line, rng.start.character, client.encoding):
                str_index(line, rng.end.character, client.encoding)]


def doc_id(uri: str) -> t.TextDocumentIdentifier:
    return t.TextDocumentIdentifier(uri=uri)


async def definition(client: LanguageClient, uri: str, pos: t.Position):
    return await client.text_document_definition_async(
        t.DefinitionParams(text_document=doc_id(uri), position=pos))


async def test_definition_from_items_mentions_and_review_places(client: LanguageClient):
    root = client.project
    plan_uri, todo_uri = (root / "prompt_plan.md").as_uri(), (root / "todo.md").as_uri()
    step2 = PLAN.split("\n").index("### Step 2: Store 🚀 data")
    # an item that names no step: its linked step
    [loc] = await definition(client, todo_uri, at(client, TODO, "Add an index"))
    assert loc.uri == plan_uri
    assert loc.range.start.line == loc.range.end.line == step2
    assert covered(client, PLAN, loc.range) == "### Step 2: Store 🚀 data"
    # a mention after non-ASCII text, with the cursor on its number
    [loc] = await definition(client, todo_uri, at(client, TODO, "step 2 ✨", 5))
    assert (loc.uri, loc.range.start.line) == (plan_uri, step2)
    # a mention inside a prompt of the plan
    step1 = PLAN.split("\n").index("### Step 1: Crème setup ☕")
    [loc] = await definition(client, plan_uri, at(client, PLAN, "Step 1;", 2))
    assert loc.range.start.line == step1
    # a place in a review answer: the file's line; a place outside the workspace: nothing
    review_uri = (root / "code-review.md").as_uri()
    [loc] = await definition(client, review_uri, at(client, REVIEW, "src/app.py:2", 3))
    assert loc.uri == (root / "src" / "app.py").as_uri()
    assert loc.range.start == t.Position(line=1, character=0)
    assert await definition(client, review_uri, at(client, REVIEW, "../outside.py", 4)) is None
    # text that names nothing
    assert await definition(client, plan_uri, at(client, PLAN, "Create the")) is None


async def test_references_of_a_step(client: LanguageClient):
    root = client.project
    plan_uri, todo_uri = (root / "prompt_plan.md").as_uri(), (root / "todo.md").as_uri()
    todo_text = TODO  # the server read the CRLF file; lines and columns are the same
    locations = await client.text_document_references_async(t.ReferenceParams(
        text_document=doc_id(plan_uri), position=at(client, PLAN, "### Step 2", 4),
        context=t.ReferenceContext(include_declaration=True)))
    got = [(loc.uri, loc.range.start.line,
            covered(client, PLAN if loc.uri == plan_uri else todo_text, loc.range))
           for loc in locations]
    lines = TODO.split("\n")
    assert got == [
        (plan_uri, 10, "### Step 2: Store 🚀 data"),
        (plan_uri, 21, "step 2"),
        (todo_uri, lines.index("## Step 2: Store 🚀 data"), "Step 2"),
        (todo_uri, lines.index("- [ ] Write the store (Step 2) 🚀"), "Step 2"),
        (todo_uri, lines.index("- [ ] Add an index"), "Add an index"),
        (todo_uri, lines.index("- [ ] Render — after step 2 ✨"), "step 2"),
    ]
    # from a mention, without the declaration
    again = await client.text_document_references_async(t.ReferenceParams(
        text_document=doc_id(todo_uri), position=at(client, TODO, "(Step 2)", 3),
        context=t.ReferenceContext(include_declaration=False)))
    assert [(x.uri, x.range.start.line) for x in again] == [(u, n) for u, n, _ in got[1:]]
    # typing in the open checklist: a new mention on one line is found (the others kept)
    open_doc(client, root / "todo.md")
    index = lines.index("- [ ] Add an index")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=todo_uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=index, character=18),
                          end=t.Position(line=index, character=18)), text=" (see Step 3)")]))
    typed = TODO.replace("Add an index", "Add an index (see Step 3)")
    for _ in range(2):  # the second time from what the server kept
        step3 = await client.text_document_references_async(t.ReferenceParams(
            text_document=doc_id(plan_uri), position=at(client, PLAN, "### Step 3", 4),
            context=t.ReferenceContext(include_declaration=False)))
        assert [(x.uri, x.range.start.line, covered(client, typed, x.range))
                for x in step3 if x.uri == todo_uri] == [
            (todo_uri, index, "Step 3"),
            (todo_uri, lines.index("## Step 3: Page"), "Step 3"),
            (todo_uri, lines.index("- [ ] Render — after step 2 ✨"), "Render — after step 2 ✨")]


async def test_document_symbols_nest_steps_in_phases_with_progress(client: LanguageClient):
    root = client.project
    plan_uri = (root / "prompt_plan.md").as_uri()
    symbols = await client.text_document_document_symbol_async(
        t.DocumentSymbolParams(text_document=doc_id(plan_uri)))

    def shape(s):
        return (s.name, s.kind, s.detail, s.range.start.line, s.range.end.line,
                [shape(c) for c in s.children or []])

    fn, ns = t.SymbolKind.Function, t.SymbolKind.Namespace
    assert [shape(s) for s in symbols] == [
        ("Phase 1: Ground", ns, None, 2, 14, [
            ("Step 1: Crème setup ☕", fn, "1/1", 4, 8, []),
            ("Step 2: Store 🚀 data", fn, "0/2", 10, 14, []),
        ]),
        ("Phase 2: Surface", ns, None, 16, 22, [("Step 3: Page", fn, "0/1", 18, 22, [])]),
    ]
    step1 = symbols[0].children[0]
    assert covered(client, PLAN, step1.selection_range) == "### Step 1: Crème setup ☕"
    assert covered(client, PLAN, t.Range(start=t.Position(line=8, character=0),
                                         end=step1.range.end)) == "```"
    todo_syms = await client.text_document_document_symbol_async(
        t.DocumentSymbolParams(text_document=doc_id((root / "todo.md").as_uri())))
    assert [(s.name, s.detail) for s in todo_syms] == [("Todo", "1/4")]
    assert [(s.name, s.detail) for s in todo_syms[0].children] == [
        ("Step 1: Crème setup ☕", "1/1"), ("Step 2: Store 🚀 data", "0/2"),
        ("Step 3: Page", "0/1")]


async def test_workspace_symbols_and_folding(client: LanguageClient):
    root = client.project
    plan_uri = (root / "prompt_plan.md").as_uri()
    found = await client.workspace_symbol_async(t.WorkspaceSymbolParams(query="stor"))
    assert [(s.name, s.location.uri, s.location.range.start.line) for s in found] == [
        ("Step 2: Store 🚀 data", plan_uri, 10)]
    everything = await client.workspace_symbol_async(t.WorkspaceSymbolParams(query=""))
    assert [s.name for s in everything] == [
        "Step 1: Crème setup ☕", "Step 2: Store 🚀 data", "Step 3: Page"]
    folds = await client.text_document_folding_range_async(
        t.FoldingRangeParams(text_document=doc_id(plan_uri)))
    assert [(f.start_line, f.end_line) for f in folds] == [
        (4, 8), (6, 8), (10, 14), (12, 14), (18, 22), (20, 22)]


def edits_by_uri(edit: t.WorkspaceEdit) -> dict[str, tuple[int | None, list[t.TextEdit]]]:
    """uri -> (version, edits) from either form of a WorkspaceEdit."""
    if edit.document_changes:
        return {c.text_document.uri: (c.text_document.version, list(c.edits))
                for c in edit.document_changes}
    return {uri: (None, list(e)) for uri, e in (edit.changes or {}).items()}


async def test_rename_renumbers_the_step_and_its_mentions(client: LanguageClient):
    root = client.project
    plan_path, todo_path = root / "prompt_plan.md", root / "todo.md"
    plan_uri = open_doc(client, plan_path)
    # an unsaved change in the open plan: one line more at the top
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=plan_uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=0, character=0),
                          end=t.Position(line=0, character=0)),
            text="<!-- draft ✍ -->\n")]))
    plan_text = "<!-- draft ✍ -->\n" + PLAN
    pos = at(client, plan_text, "### Step 2", 9)
    prepared = await client.text_document_prepare_rename_async(
        t.PrepareRenameParams(text_document=doc_id(plan_uri), position=pos))
    assert prepared.placeholder == "2"
    assert covered(client, plan_text, prepared.range) == "2"
    edit = await client.text_document_rename_async(t.RenameParams(
        text_document=doc_id(plan_uri), position=pos, new_name="5"))
    changes = edits_by_uri(edit)
    assert set(changes) == {plan_uri, todo_path.as_uri()}
    if edit.document_changes:  # versions: the open plan's, none for the closed checklist
        assert changes[plan_uri][0] == 2 and changes[todo_path.as_uri()][0] is None
    assert apply_to_text(plan_text, changes[plan_uri][1], client.encoding) == plan_text.replace(
        "### Step 2:", "### Step 5:").replace("from step 2", "from step 5")
    crlf = todo_path.read_bytes().decode()
    assert apply_to_text(crlf, changes[todo_path.as_uri()][1], client.encoding) == crlf.replace(
        "## Step 2:", "## Step 5:").replace("(Step 2)", "(Step 5)").replace(
        "after step 2", "after step 5")
    assert todo_path.read_bytes().decode() == crlf  # not written by the server
    # no rename onto another step's number, nor where no step number is
    with pytest.raises(Exception, match="Step 3 already has the number 3"):
        await client.text_document_rename_async(t.RenameParams(
            text_document=doc_id(plan_uri), position=pos, new_name="3"))
    assert await client.text_document_prepare_rename_async(t.PrepareRenameParams(
        text_document=doc_id(plan_uri), position=at(client, plan_text, "Create the"))) is None


async def test_symbols_setting_follows_the_client(tmp_path, project):
    """`planLs.symbols` "auto" leaves VS Code its own markdown outline; "on" overrides, also
    when the setting changes in a running session; "off" turns them off for another client."""
    from pytest_lsp import client_capabilities

    for name, options, expected in (("Visual Studio Code", {}, False), ("code-server", {}, False),
                                     ("Neovim", {"planLs": {"symbols": "off"}}, False)):
        client = make_client()
        await client.start_io(*SERVER)
        try:
            await client.initialize_session(t.InitializeParams(
                capabilities=client_capabilities("visual_studio_code"),
                client_info=t.ClientInfo(name=name), root_uri=project.as_uri(),
                initialization_options=options,
                workspace_folders=[t.WorkspaceFolder(uri=project.as_uri(), name="café")]))
            params = t.DocumentSymbolParams(
                text_document=doc_id((project / "prompt_plan.md").as_uri()))
            symbols = await client.text_document_document_symbol_async(params)
            assert bool(symbols) is expected, (name, options)
            if name == "Visual Studio Code":
                configure(client, {"planLs": {"symbols": "on"}})
                deadline = time.monotonic() + 5  # it applies when the server reads it
                while not await client.text_document_document_symbol_async(params):
                    assert time.monotonic() < deadline, "symbols: on did not apply"
                    await asyncio.sleep(0.01)
        finally:
            await end_session(client)
            await client.stop()


async def test_completion_of_step_numbers_and_claim_names(client: LanguageClient):
    todo_path = client.project / "todo.md"
    todo_uri = open_doc(client, todo_path)
    typed = "- [ ] Wire the café 🚀 page to step 2"
    text = todo_path.read_bytes().decode().replace("\r\n", "\n") + typed + "\n"
    last = len(TODO.split("\n")) - 1
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=todo_uri, version=2),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=t.Position(line=last, character=0),
                          end=t.Position(line=last, character=0)), text=typed + "\r\n")]))
    end = t.Position(line=last, character=column(typed, len(typed), client.encoding))
    result = await client.text_document_completion_async(t.CompletionParams(
        text_document=doc_id(todo_uri), position=end))
    items = result.items if isinstance(result, t.CompletionList) else result
    assert [(i.label, i.label_details.description) for i in items] == [
        ("1", "Crème setup ☕"), ("2", "Store 🚀 data"), ("3", "Page")]
    # each replaces the typed number, wherever the line's non-ASCII text puts it
    for item in items:
        line = apply_to_text(text, [item.text_edit], client.encoding).split("\n")[last]
        assert line == typed[:-1] + item.label
    # after "(@": the user's own name first, then whoever claims in this plan
    claim_line = typed + " (@"
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=todo_uri, version=3),
        content_changes=[t.TextDocumentContentChangePartial(
            range=t.Range(start=end, end=end), text=" (@")]))
    at_end = t.Position(line=last, character=column(claim_line, len(claim_line),
                                                    client.encoding))
    result = await client.text_document_completion_async(t.CompletionParams(
        text_document=doc_id(todo_uri), position=at_end))
    items = result.items if isinstance(result, t.CompletionList) else result
    assert sorted((i.sort_text, i.label) for i in items) == [("0ana", "ana"), ("1zoë", "zoë")]
    # plain text asks for nothing
    result = await client.text_document_completion_async(t.CompletionParams(
        text_document=doc_id(todo_uri), position=t.Position(line=last, character=4)))
    assert not (result.items if isinstance(result, t.CompletionList) else result)


def configure(client: LanguageClient, settings: dict) -> None:
    """The client's `planLs` settings changed to `settings` (workspace/didChangeConfiguration)."""
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings=settings))


async def hints_of(client: LanguageClient, uri: str, first: int = 0, last: int = 99
                   ) -> list[t.InlayHint]:
    return await client.text_document_inlay_hint_async(t.InlayHintParams(
        text_document=doc_id(uri), range=t.Range(start=t.Position(line=first, character=0),
                                                  end=t.Position(line=last, character=0))))


async def test_inlay_hints_show_progress_instead_of_lenses(client: LanguageClient):
    """`planLs.progressDisplay` "inlay", switched on in a running session."""
    if not hasattr(client, "inlay_refreshes"):
        client.inlay_refreshes = 0

        @client.feature(t.WORKSPACE_INLAY_HINT_REFRESH)
        def on_inlay_refresh(params):
            client.inlay_refreshes += 1

    client.inlay_refreshes = 0
    configure(client, {"planLs": {**OPTIONS["planLs"], "progressDisplay": "inlay"}})
    try:
        await check_inlay_hints(client)
    finally:
        configure(client, OPTIONS)


async def check_inlay_hints(client: LanguageClient) -> None:
    plan_uri = (client.project / "prompt_plan.md").as_uri()
    todo_uri = (client.project / "todo.md").as_uri()
    hints: list[t.InlayHint] = []

    async def shown() -> bool:  # the setting applies when the server reads the notification
        nonlocal hints
        hints = await hints_of(client, plan_uri)
        return bool(hints)

    deadline = time.monotonic() + 5
    while not await shown():
        assert time.monotonic() < deadline, "no inlay hints after progressDisplay: inlay"
        await asyncio.sleep(0.01)
    plan_lines = PLAN.split("\n")
    got = [(h.label, plan_lines[h.position.line][:str_index(
        plan_lines[h.position.line], h.position.character, client.encoding)]) for h in hints]
    assert got == [("✓ 1/1", "### Step 1: Crème setup ☕"), ("0/2", "### Step 2: Store 🚀 data"),
                   ("0/1", "### Step 3: Page")]  # each at the end of its heading
    # only the lines asked for
    part = await hints_of(client, plan_uri, 9, 12)
    assert [h.label for h in part] == ["0/2"]
    todo_hints = await hints_of(client, todo_uri)
    assert [h.label for h in todo_hints] == ["1/4", "✓ 1/1", "0/2", "0/1"]
    # the lenses no longer repeat the progress; the plan's other lenses stay
    lenses = await client.text_document_code_lens_async(t.CodeLensParams(
        text_document=doc_id(plan_uri)))
    titles = [lens.command.title for lens in lenses]
    assert "Copy prompt" in titles and not [x for x in titles if "/" in x and "done" in x]
    assert not await client.text_document_code_lens_async(t.CodeLensParams(
        text_document=doc_id(todo_uri)))
    caps = capabilities_of("visual_studio_code" if client.encoding == "utf-16" else "neovim")
    refresh = caps.workspace and caps.workspace.inlay_hint and \
        caps.workspace.inlay_hint.refresh_support
    assert bool(client.inlay_refreshes) == bool(refresh)


async def test_no_inlay_hints_by_default(client: LanguageClient):
    hints = await client.text_document_inlay_hint_async(t.InlayHintParams(
        text_document=doc_id((client.project / "prompt_plan.md").as_uri()),
        range=t.Range(start=t.Position(line=0, character=0),
                      end=t.Position(line=99, character=0))))
    assert not hints


async def test_insert_step_after_a_step(client: LanguageClient):
    root = client.project
    plan_path, todo_path = root / "prompt_plan.md", root / "todo.md"
    plan_uri = open_doc(client, plan_path)
    step2 = PLAN.split("\n").index("### Step 2: Store 🚀 data")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=step2, character=0),
                                                      end=t.Position(line=step2, character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    [insert] = [a for a in actions if a.title.startswith("Insert step after")]
    assert insert.title == "Insert step after Step 2"
    changes = edits_by_uri(insert.edit)
    if insert.edit.document_changes:
        assert changes[plan_uri][0] == 1 and changes[todo_path.as_uri()][0] is None
    new_plan = apply_to_text(PLAN, changes[plan_uri][1], client.encoding)
    assert new_plan == PLAN.replace(
        "small.\n```\n", "small.\n```\n\n### Step 3: New step\n\n```text\n\n```\n").replace(
        "### Step 3: Page", "### Step 4: Page")
    crlf = todo_path.read_bytes().decode()
    assert apply_to_text(crlf, changes[todo_path.as_uri()][1], client.encoding) == \
        crlf.replace("## Step 3: Page", "## Step 4: Page")
    # not on a line that names no step
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=0, character=0),
                                                      end=t.Position(line=0, character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    assert not [a for a in actions if a.title.startswith("Insert step after")]


async def test_move_step_down_and_up(client: LanguageClient):
    root = client.project
    plan_path, todo_path = root / "prompt_plan.md", root / "todo.md"
    plan_uri = open_doc(client, plan_path)
    lines = PLAN.split("\n")

    async def action(line: int, title: str) -> t.CodeAction:
        actions = await client.text_document_code_action_async(t.CodeActionParams(
            text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=line, character=0),
                                                          end=t.Position(line=line, character=0)),
            context=t.CodeActionContext(diagnostics=[])))
        titles = [a.title for a in actions]
        assert title in titles, titles
        return next(a for a in actions if a.title == title)

    first = lines.index("### Step 1: Crème setup ☕")
    titles = [a.title for a in await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=first, character=0),
                                                      end=t.Position(line=first, character=0)),
        context=t.CodeActionContext(diagnostics=[])))]
    assert "Move Step 1 up" not in titles and "Move Step 1 down" in titles
    down = await action(lines.index("### Step 2: Store 🚀 data"), "Move Step 2 down")
    changes = edits_by_uri(down.edit)
    new_plan = apply_to_text(PLAN, changes[plan_uri][1], client.encoding)
    assert new_plan == PLAN.replace(
        "### Step 2: Store 🚀 data\n\n```text\nBuild on Step 1; keep the store small.\n```",
        "### Step 2: Page\n\n```text\nShow the data from step 3 on a page.\n```").replace(
        "### Step 3: Page\n\n```text\nShow the data from step 2 on a page.\n```",
        "### Step 3: Store 🚀 data\n\n```text\nBuild on Step 1; keep the store small.\n```")
    crlf = todo_path.read_bytes().decode()
    assert apply_to_text(crlf, changes[todo_path.as_uri()][1], client.encoding) == \
        crlf.replace("## Step 2: Store", "## Step 3: Store").replace(
            "(Step 2)", "(Step 3)").replace("## Step 3: Page", "## Step 2: Page").replace(
            "after step 2", "after step 3")
    up = await action(lines.index("### Step 3: Page"), "Move Step 3 up")
    assert edits_by_uri(up.edit) == changes  # the same swap


async def test_remove_step_renumbers_and_strikes_its_mentions(client: LanguageClient):
    root = client.project
    plan_path, todo_path = root / "prompt_plan.md", root / "todo.md"
    plan_uri, todo_uri = open_doc(client, plan_path), todo_path.as_uri()
    lines = PLAN.split("\n")
    step2 = lines.index("### Step 2: Store 🚀 data")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=step2, character=0),
                                                      end=t.Position(line=step2, character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    [remove] = [a for a in actions if a.title.startswith("Remove ")]
    assert remove.title == "Remove Step 2" and remove.kind == t.CodeActionKind.RefactorRewrite
    changes = edits_by_uri(remove.edit)
    if remove.edit.document_changes:
        assert changes[plan_uri][0] == 1 and changes[todo_uri][0] is None

    def edit(line: int, start: int, end: int, text: str, end_line: int | None = None):
        return t.TextEdit(range=t.Range(start=t.Position(line=line, character=start),
                                        end=t.Position(line=end_line or line, character=end)),
                          new_text=text)

    # exact edits: the step's lines (to the next phase heading) go, Step 3 becomes Step 2,
    # and the prompt's "step 2" is struck (the lines edited are ASCII: same in both encodings)
    phase2 = lines.index("## Phase 2: Surface")
    page = lines.index("### Step 3: Page")
    show = lines.index("Show the data from step 2 on a page.")
    assert changes[plan_uri][1] == [edit(step2, 0, 0, "", phase2), edit(page, 9, 10, "2"),
                                    edit(show, 19, 25, "~~step 2~~")]
    new_plan = apply_to_text(PLAN, changes[plan_uri][1], client.encoding)
    assert new_plan == PLAN.replace(
        "### Step 2: Store 🚀 data\n\n```text\nBuild on Step 1; keep the store small.\n```\n\n",
        "").replace("### Step 3: Page", "### Step 2: Page").replace(
        "from step 2", "from ~~step 2~~")
    crlf = todo_path.read_bytes().decode()
    new_todo = apply_to_text(crlf, changes[todo_uri][1], client.encoding)
    assert new_todo == crlf.replace("## Step 2: Store", "## ~~Step 2~~: Store").replace(
        "(Step 2)", "(~~Step 2~~)").replace("## Step 3: Page", "## Step 2: Page").replace(
        "after step 2", "after ~~step 2~~")
    # once applied, the removed step's items stay, belong to no step, and are reported
    plan_path.write_text(new_plan, encoding="utf-8")
    todo_path.write_bytes(new_todo.encode())
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=plan_uri, version=2),
        content_changes=[t.TextDocumentContentChangeWholeDocument(text=new_plan)]))
    open_doc(client, todo_path)

    def removed() -> list[t.Diagnostic]:
        return [d for d in client.diagnostics.get(todo_uri, []) if d.code == "removed-step"]

    await wait_until(lambda: removed())
    todo_lines = new_todo.split("\r\n")
    # the heading and the item that wrote its own step; not "after ~~step 2~~" in a sentence
    assert sorted((d.range.start.line, d.severity) for d in removed()) == [
        (todo_lines.index("## ~~Step 2~~: Store 🚀 data"), t.DiagnosticSeverity.Information),
        (todo_lines.index("- [ ] Write the store (~~Step 2~~) 🚀"),
         t.DiagnosticSeverity.Information)]
    assert "removed step" in removed()[0].message
    # the item that named the old Step 3 now goes to Step 2 (Page), not to the removed one
    hover = await client.text_document_hover_async(t.HoverParams(
        text_document=doc_id(todo_uri),
        position=t.Position(line=todo_lines.index("- [ ] Render — after ~~step 2~~ ✨"),
                            character=7)))
    assert hover is not None and "Page" in str(hover.contents)


async def test_insert_step_keeps_a_dotted_numbering(client: LanguageClient):
    root = client.project
    plan_path = root / "prompt_plan.md"
    dotted = ("# Plan\n\n## Step 1.1: Sift\n\n```text\nx\n```\n\n## Step 1.2: Weigh\n\n```text\n"
              "before Step 1.3 and Step 2.1\n```\n\n## Step 1.3: Mix\n\n```text\ny\n```\n\n"
              "## Step 2.1: Bake\n\n```text\nafter Step 1.3\n```\n")
    plan_path.write_text(dotted, encoding="utf-8")
    plan_uri = open_doc(client, plan_path)
    line = dotted.split("\n").index("## Step 1.2: Weigh")
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc_id(plan_uri), range=t.Range(start=t.Position(line=line, character=0),
                                                      end=t.Position(line=line, character=0)),
        context=t.CodeActionContext(diagnostics=[])))
    [insert] = [a for a in actions if a.title.startswith("Insert step after")]
    assert insert.title == "Insert step after Step 1.2"
    new_plan = apply_to_text(dotted, edits_by_uri(insert.edit)[plan_uri][1], client.encoding)
    assert new_plan == dotted.replace("Step 1.3", "Step 1.4").replace(
        "## Step 1.4: Mix", "## Step 1.3: New step\n\n```text\n\n```\n\n## Step 1.4: Mix")
