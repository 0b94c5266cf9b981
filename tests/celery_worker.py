"""A real Celery worker against the real Redis, for tests where the queue matters (retries,
workers dying). It runs as a separate process on the test database, so the tests using it
commit their data (transactional_db)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.db import connection

# A Redis database of its own, flushed per test; one per pytest-xdist worker, whose test
# databases differ: a worker process of one must never take the other's tasks.
_XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
REDIS_URL = f"redis://127.0.0.1:6379/{15 - _XDIST_WORKER}"


def process_environment(**environment) -> dict:
    """The environment of a process of the product (a worker, a web server) run by a test:
    on the test database and this test run's Redis database."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "test-only-secret",
        "ALLOW_PRIVATE_SMTP_HOSTS": "true",  # the test SMTP server is on loopback
        "ALLOW_PRIVATE_WEBHOOK_HOSTS": "true",  # so is the webhook receiver
        "ALLOW_PRIVATE_ACCESS_POINT_HOSTS": "true",  # so is the access point stub
        **{key: str(value) for key, value in environment.items()},
    }


class Worker:
    def __init__(self, log_path: Path, flush: bool = True, concurrency: int = 2, **environment):
        if flush:
            redis.Redis.from_url(REDIS_URL).flushdb()
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadflip", "worker", "--loglevel=INFO",
             f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            env=process_environment(**environment),
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so kill() takes the pool too
        )  # fmt: skip
        try:
            self._wait_for("ready.")
        except BaseException:
            self.stop()  # never left running, taking later tests' tasks
            raise

    def _wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise RuntimeError("The Celery worker died:\n" + self.log_path.read_text())
            time.sleep(0.2)
        raise TimeoutError("The Celery worker did not start:\n" + self.log_path.read_text())

    def succeeded(self, task: str) -> int:
        """How many `task`s this worker has finished."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return sum(f"Task {task}[" in line and " succeeded in " in line for line in lines)

    def kill(self) -> None:
        """Die at once, mid-task, as a worker does when its machine goes away."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()  # the whole group: a pool process left behind would take later tasks


def wait_until(condition, timeout: float = 60, interval: float = 0.2):
    """Poll `condition()` until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise TimeoutError("The condition did not become true in time.")
