"""The shape of a feature: a small class that owns its state and registers its handlers.

A feature is created once per server, registered with `server.add_feature(...)`, and found
by type (`server.get_feature(Hover)`), the way esbonio's features are. Its LSP handlers and
commands are methods, so a unit test can build the feature on a server and call them; its
caches live on the instance, never in module globals.

    class Folding(Feature):
        def register(self) -> None:
            self.feature(t.TEXT_DOCUMENT_FOLDING_RANGE, self.folding_ranges)

        def folding_ranges(self, ls: PlanServer, params: t.FoldingRangeParams) -> list: ...

(pygls injects the server as the first argument named `ls`. It also sets attributes on the
handler, which a bound method refuses: `self.feature` registers a plain function that calls
the method. Commands go through features.arguments.command, which wraps them already.)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plan_ls.server import PlanServer


def as_handler(method: Callable[..., Any]) -> Callable[..., Any]:
    """A plain function `(ls, *params)` that calls `method` (sync or async), for pygls."""
    if inspect.iscoroutinefunction(method):
        async def handler(ls: Any, *params: Any) -> Any:
            return await method(ls, *params)
    else:
        def handler(ls: Any, *params: Any) -> Any:
            return method(ls, *params)
    handler.__name__ = handler.__qualname__ = method.__name__
    handler.__doc__ = method.__doc__
    return handler


class Feature:
    """Base class of the server's features. Subclasses override `register()`."""

    def __init__(self, server: PlanServer) -> None:
        self.server = server

    def register(self) -> None:
        """Attach this feature's handlers, providers and listeners to `self.server`."""
        raise NotImplementedError

    def feature(self, method: str, handler: Callable[..., Any], options: Any = None) -> None:
        """Register the bound method `handler` for the LSP `method` (with its `options`)."""
        self.server.feature(method, options)(as_handler(handler))
