"""Start-up with fewer passes of the garbage collector over what start-up makes.

`plan-ls serve` makes ~100,000 objects before its first answer (lsprotocol's classes, the
features), nearly all of which live as long as the server. With the default thresholds the
collector walks them again and again while they are made (~10% of the time to the
initialize answer); with young collections every 50,000 allocations and no full one, it
walks them a few times, and once frozen (`gc.freeze`) later full collections skip them.
Turning the collector off instead saves a little more but keeps all of start-up's garbage
(~9 MB) until a collection, which raised the peak memory of a busy first minute by ~6 MB.
What start-up dropped since the last young collection is collected once, after the
initialize answer and before the plans are read.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

START_UP_THRESHOLDS = (50_000, 1_000, 1_000)  # gc.set_threshold: young every 50,000
_frozen = False


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with START_UP_THRESHOLDS, then put the old ones back and freeze every
    object tracked so far."""
    global _frozen
    old = gc.get_threshold()
    gc.set_threshold(*START_UP_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.freeze()
        _frozen = True


def collect_start_up_garbage() -> int:
    """Collect what start-up dropped, once (after `fewer_collections`), and freeze what lives
    on again. Returns the number of unreachable objects found (0: nothing was frozen)."""
    global _frozen
    if not _frozen:
        return 0
    _frozen = False
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found
