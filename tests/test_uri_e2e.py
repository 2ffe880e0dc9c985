"""A workspace whose path has characters that URIs escape (`my plan [wip] é`): the server must
find the open documents under the client's encoded URI, so that check-offs are versioned edits
through the editor and never writes behind it. Under both client capability sets."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp_client import (
    CLIENTS,
    SERVER,
    capabilities_of,
    copy_sample,
    end_session,
    hover_at,
    line_of,
    make_client,
    open_doc,
    start_session,
)

FOLDER = "my plan [wip] é"


@pytest.fixture
def project(tmp_path):
    return copy_sample("greenfield", tmp_path / FOLDER)


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER,
                                                               client_factory=make_client))
async def client(request, lsp_client: LanguageClient, project):
    await start_session(lsp_client, project, capabilities=capabilities_of(request.param))
    yield
    await end_session(lsp_client)


async def test_open_document_is_found_under_its_encoded_uri(client: LanguageClient):
    todo = client.project / "todo.md"
    uri = open_doc(client, todo, version=7)
    assert "%20" in uri and "%5B" in uri  # the client's spelling is the escaped one
    before = todo.read_bytes()
    line = line_of(todo, "- [ ] ")
    result = await client.workspace_execute_command_async(t.ExecuteCommandParams(
        command="planLs.markDone", arguments=[{"uri": uri, "lines": [line]}]))
    assert result["applied"] and result["changed"] == 1
    change = client.edits[-1].document_changes[0]
    assert change.text_document.uri == uri  # sent back in the client's own spelling
    assert change.text_document.version == 7  # versioned: a stale edit would be refused
    assert todo.read_bytes() == before  # and nothing was written behind the editor
    hover = await client.text_document_hover_async(hover_at(uri, line))
    assert hover is not None and "Step" in hover.contents.value
