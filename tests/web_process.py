"""A web process of the product, served by Granian as in production, for tests in which
several processes share the work (as several machines would). Like the Celery worker, it
runs on the test database: the tests using it commit their data (transactional_db)."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .celery_worker import process_environment, wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebProcess:
    def __init__(self, log_path: Path, **environment):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "granian", "--interface", "wsgi",
             "leadflip.wsgi:application", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", "1", "--log-level", "warning"],
            env=process_environment(
                ALLOWED_HOSTS="127.0.0.1",
                SESSION_COOKIE_SECURE="false",  # plain HTTP on loopback
                CSRF_COOKIE_SECURE="false",
                **environment,
            ),
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.log_path = log_path
        try:
            wait_until(self._answers, timeout=60)
        except BaseException:
            self.stop()  # never left running behind a failed start
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError("The web process died:\n" + self.log_path.read_text())
        try:
            urllib.request.urlopen(f"{self.url}/login/", timeout=5)
        except urllib.error.HTTPError:
            return True  # it answers; what it answered is for the test to judge
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Browser:
    """A user's cookies and forms over plain HTTP: one session, whichever web process
    answers."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=30) as response:
            return response.read().decode()

    def post(self, url: str, form_page: str, fields: dict) -> str:
        """Submit `fields` to `url` with the CSRF token of the form on `form_page`."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.get(form_page))
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token[1], **fields}).encode()
        with self.opener.open(url, data=data, timeout=30) as response:
            return response.read().decode()

    def log_in(self, web: WebProcess, email: str, password: str) -> None:
        login = f"{web.url}/login/"
        self.post(login, login, {"username": email, "password": password})
        assert any(cookie.name == "sessionid" for cookie in self.cookies), "logged in"
