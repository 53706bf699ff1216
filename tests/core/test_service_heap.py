"""The service freezes what start-up made, so full collections skip it while it serves."""

import gc

from syndicate import service


def test_settle_heap_freezes_startup_objects() -> None:
    gc.unfreeze()
    try:
        before = gc.get_freeze_count()
        service.settle_heap()
        # Every module, class and function imported so far is now out of the collector's walk.
        assert gc.get_freeze_count() > before + 10_000
        assert sum(gc.get_count()) < 100  # and the collector starts from an empty young heap
    finally:
        gc.unfreeze()
