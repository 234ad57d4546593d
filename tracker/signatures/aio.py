"""pyHanko's signing and validation are coroutines; the tracker is synchronous. `run` takes a
coroutine to its end from synchronous code, also in a thread that already runs an event loop
(where `asyncio.run` refuses): there it runs in a thread of its own."""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coroutine):
    """The coroutine's result (its exception raised here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
