"""Document links in the answer files: every `path:line` that names a file of the project
opens that file at that line (`file:///…#L42`, which VS Code and most clients follow)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as t

from plan_ls.confinement import OutsideWorkspace, resolve
from plan_ls.features.feature import Feature
from plan_ls.features.positions import client_column, codec_of
from plan_ls.server import PlanServer

ANSWER_STEMS = ("code-review", "issues", "missing-tests")


def _inside(ls: PlanServer, path: Path) -> bool:
    try:
        return ls.contains(resolve(path))
    except OutsideWorkspace:
        return False


def is_answer(path: Path) -> bool:
    return path.suffix == ".md" and path.stem.startswith(ANSWER_STEMS)


def links(ls: PlanServer, uri: str) -> list[t.DocumentLink]:
    """The `path:line` links of an answer file (none in any other document)."""
    path = ls.path_of(uri)
    if ls.root is None or path is None or not is_answer(path):
        return []
    from plan_ls.review.findings import places_in

    text = ls.document_text(uri)
    if not text:
        return []
    caps = ls.client_capabilities.text_document
    tooltips = bool(caps and caps.document_link and caps.document_link.tooltip_support)
    codec = codec_of(ls)
    out: list[t.DocumentLink] = []
    exists: dict[str, bool] = {}
    for n, line in enumerate(text.split("\n")):
        if ":" not in line and "#L" not in line and "line" not in line:
            continue
        for start, end, place in places_in(line):
            target = ls.root / place.path
            if place.path not in exists:  # a path that leads out of the root is no link
                exists[place.path] = target.is_file() if _inside(ls, target) else False
            if not exists[place.path]:
                continue
            out.append(t.DocumentLink(
                range=t.Range(start=t.Position(line=n, character=client_column(codec, line, start)),
                              end=t.Position(line=n, character=client_column(codec, line, end))),
                target=f"{ls.uri_of(target)}#L{place.start}",
                tooltip=f"Open {place.path} at line {place.start}" if tooltips else None))
    return out


class FindingLinks(Feature):
    """textDocument/documentLink: the answer files' `path:line`, and the providers'."""

    def register(self) -> None:
        self.feature(t.TEXT_DOCUMENT_DOCUMENT_LINK, self.document_links)

    def document_links(self, ls: PlanServer,
                       params: t.DocumentLinkParams) -> list[t.DocumentLink]:
        """Every `path:line` in the document that names a file of the project, and what the
        server's document_link_providers add (spec-kit task ids)."""
        uri = params.text_document.uri
        return links(ls, uri) + [link for provider in ls.document_link_providers
                                 for link in provider(ls, uri)]
