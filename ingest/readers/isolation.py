"""Run a step that may hang or crash (pypdf on a pathological file) in a child process that can be killed.

A SIGALRM timeout only works in the main thread; the site reads uploads in worker threads, where
nothing can interrupt pure-Python code. A child process can always be killed, and a crash in it
(recursion, memory) costs the file, not the server.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from kb.errors import IngestError

#: forkserver: forking a threaded server directly could copy a lock another thread holds.
_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _child(conn, func: Callable[..., Any], args: tuple) -> None:
    """Run func in the child and send back (True, result) or (False, a message for the user)."""
    try:
        conn.send((True, func(*args)))
    except IngestError as exc:
        conn.send((False, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - everything must reach the parent as a message
        conn.send((False, f"Filen kunde inte läsas ({type(exc).__name__})."))
    finally:
        conn.close()


def run_isolated(func: Callable[..., Any], *args: Any, seconds: float, timeout_message: str,
                 crash_message: str) -> Any:
    """func(*args) in a child process; IngestError when it fails, crashes or outlives `seconds`."""
    context = multiprocessing.get_context(_METHOD)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, func, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise IngestError(timeout_message)
        ok, payload = receiver.recv()
    except (EOFError, OSError):
        raise IngestError(crash_message) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if not ok:
        raise IngestError(payload)
    return payload
