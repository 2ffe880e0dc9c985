"""The shape of a feature: a small class that owns its state and registers its handlers.

A feature is created once per server, registered with `server.add_feature(...)`, and found
by type (`server.get_feature(Hover)`), the way esbonio's features are. Its LSP handlers and
commands are methods, so a unit test can build the feature on a server and call them; its
caches live on the instance, never in module globals.

    class Folding(Feature):
        def register(self) -> None:
            self.server.feature(t.TEXT_DOCUMENT_FOLDING_RANGE)(self.folding_ranges)

        def folding_ranges(self, ls: PlanServer, params: t.FoldingRangeParams) -> list: ...

(pygls injects the server as the first argument named `ls`; a bound method keeps `self`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plan_ls.server import PlanServer


class Feature:
    """Base class of the server's features. Subclasses override `register()`."""

    def __init__(self, server: PlanServer) -> None:
        self.server = server

    def register(self) -> None:
        """Attach this feature's handlers, providers and listeners to `self.server`."""
        raise NotImplementedError
