"""Run the real `kb` command as a subprocess of this checkout, for fault tests and benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.chroma_server import free_port

REPO = Path(__file__).resolve().parents[1]
_ENTRY = "import sys; from kbcli.main import cli; sys.exit(cli())"


def kb_argv(*args: str) -> list[str]:
    """`kb ARGS` from this checkout (not whichever copy is installed in the venv)."""
    return [sys.executable, "-c", _ENTRY, *args]


def kb_env(data_dir: Path, model: str = "hashing-256", chroma_url: str | None = None,
           **extra: str) -> dict[str, str]:
    """The environment for one index: its data dir, its model, the shared model cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env.update(KB_DATA_DIR=str(data_dir), KB_MODEL=model, PYTHONPATH=str(REPO),
               PYTHONUNBUFFERED="1", **extra)
    if os.environ.get("KB_CACHE_DIR"):
        env["KB_CACHE_DIR"] = os.environ["KB_CACHE_DIR"]
    if chroma_url:
        env["KB_CHROMA_URL"] = chroma_url
    return env


def run_kb(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(kb_argv(*args), env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False)


class KbServer:
    """`kb serve` (waitress) on a free loopback port; stderr goes to `log_path`."""

    def __init__(self, env: dict[str, str], log_path: Path, threads: int = 8) -> None:
        self.env, self.log_path, self.threads = env, log_path, threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> KbServer:
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            kb_argv("serve", "--host", "127.0.0.1", "--port", str(self.port), "--threads", str(self.threads)),
            env=self.env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kb serve exited with {self.process.returncode}: {self.log()}")
            try:
                self.get("/healthz")
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("kb serve did not answer in time")

    def get(self, path: str, timeout: float = 30) -> tuple[int, dict]:
        """GET a JSON route; an HTTP error status is returned, not raised."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
            self.process.kill()  # a no-op once it has exited
            self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def __enter__(self) -> KbServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
