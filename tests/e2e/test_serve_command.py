"""``m2c serve`` starts the web application on loopback: the console's login page answers in
Chinese, the API answers 401 without a session, and a password typed at the login never reaches
the server's output."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

from cli_runner import M2C, m2c_env
from meter2cash.platform.context import AppContext


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_on_loopback_and_logs_no_password(ctx: AppContext) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [str(M2C), "serve", "--port", str(port)],
        env=m2c_env(ctx),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                login = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "m2c serve exited"
                assert time.monotonic() < deadline, "m2c serve did not answer within 30 s"
                time.sleep(0.2)
        assert login.status_code == 200 and "员工登录" in login.text
        assert httpx.get(f"{base}/api/v1/me", timeout=5).status_code == 401
        with httpx.Client(base_url=base, timeout=5) as client:
            page = client.get("/login").text
            token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            client.post(
                "/login", data={"username": "admin", "password": "secret-Passw0rd-typo", "csrf_token": token}
            )
    finally:
        server.terminate()
        output, _unused = server.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in output
    assert "secret-Passw0rd-typo" not in output
