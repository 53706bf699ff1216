"""A Fedify server on loopback as a remote follower (tests/federation/fedify/follower.mjs).

Node 22 and the Fedify packages come from npm into tests/federation/fedify/node_modules
(`.ci/run` installs them); without them the tests that use this peer skip and say how to install.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

FEDIFY_DIR = Path(__file__).parent / "fedify"
NODE = FEDIFY_DIR / "node_modules" / ".bin" / "node"
INSTALL = "npm ci --prefix tests/federation/fedify (bash .ci/run does it)"


def fedify_missing() -> str | None:
    """Why the Fedify peer cannot run here, or None when it can."""
    if not NODE.exists() or not (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify").is_dir():
        return f"Fedify peer not installed: run {INSTALL}"
    try:
        version = subprocess.run(
            [str(NODE), "--version"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the Fedify peer's Node does not run ({exc}): run {INSTALL}"
    if not version.startswith("v") or int(version[1:].split(".")[0]) < 22:
        return f"Fedify 2 needs Node >= 22, found {version!r}: run {INSTALL}"
    return None


class FedifyPeer:
    """Drives the Fedify follower through its /_control endpoints."""

    def __init__(self, base: str, client: httpx.AsyncClient) -> None:
        self.base = base
        self.client = client

    @property
    def actor(self) -> str:
        return f"{self.base}/users/reader"

    async def control(self, name: str, **body: Any) -> Any:
        resp = await self.client.post(f"{self.base}/_control/{name}", json=body, timeout=60)
        assert resp.status_code == 200, f"Fedify {name}: {resp.status_code} {resp.text}"
        return resp.json()

    async def state(self) -> dict[str, Any]:
        return await self.control("state")

    async def wait_for(
        self, what: str, pick: Callable[[dict[str, Any]], bool], timeout: float = 30.0
    ) -> dict[str, Any]:
        """The first activity Fedify received (and verified) that `pick` accepts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = await self.state()
            for entry in state["received"]:
                if pick(entry):
                    return entry
            if loop.time() > deadline:
                raise AssertionError(f"Fedify never received {what}: {json.dumps(state)[:3000]}")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def fedify_peer() -> AsyncIterator[FedifyPeer]:
    reason = fedify_missing()
    if reason:
        pytest.skip(reason)
    proc = await asyncio.create_subprocess_exec(
        str(NODE),
        str(FEDIFY_DIR / "follower.mjs"),
        cwd=str(FEDIFY_DIR),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdin is not None and proc.stderr is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        if not line:
            err = await proc.stderr.read()
            raise AssertionError(f"the Fedify peer did not start: {err.decode()[-2000:]}")
        port = json.loads(line)["listening"]
        async with httpx.AsyncClient() as client:
            yield FedifyPeer(f"http://127.0.0.1:{port}", client)
    finally:
        proc.stdin.close()  # the peer exits when its stdin ends
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
