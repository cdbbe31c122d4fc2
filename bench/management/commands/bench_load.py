"""Load benchmark: gunicorn on loopback, a bounded number of concurrent clients for a
bounded time, against the dashboard, the timeline, a partner profile and a table page.

Reports requests per second, latency percentiles and the count of non-2xx answers; exits
non-zero when any answer was not 2xx. A benchmark to run by hand (`make bench-load`), not a
timed test. It uses the configured database; an empty one gets the seed data first.
"""

import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from cooperation.models import Partner


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Drive gunicorn on 127.0.0.1 with concurrent clients; report RPS and latencies."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=20.0, help="Seconds of load.")
        parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=2, help="Threads per gunicorn worker.")
        parser.add_argument("--warmup", type=float, default=2.0, help="Seconds not counted.")
        parser.add_argument(
            "--path", action="append", default=[], help="Extra path to drive (repeatable)."
        )

    def handle(self, *args, **options):
        if options["concurrency"] < 1 or options["duration"] <= 0:
            raise CommandError("--concurrency must be at least 1 and --duration above 0.")
        if not Partner.objects.public().exists():
            self.stdout.write("The database has no public partner: loading fixtures/seed.json.")
            call_command("loaddata", "fixtures/seed.json", verbosity=0)
        partner = Partner.objects.public().order_by("pk").first()
        paths = [
            reverse("cooperation:dashboard"),
            reverse("cooperation:timeline"),
            partner.get_absolute_url(),
            reverse("cooperation:meeting-list"),
            *options["path"],
        ]
        port = free_port()
        server = self.start_gunicorn(port, options["workers"], options["threads"])
        try:
            self.wait_until_up(port, server)
            results = self.drive(port, paths, options)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        failures = self.report(results, options)
        if failures:
            raise CommandError(f"{failures} answers were not 2xx.")

    def start_gunicorn(self, port: int, workers: int, threads: int) -> subprocess.Popen:
        env = os.environ | {
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        }
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--log-level=warning",
            "--timeout=60",
        ]
        self.stdout.write(f"gunicorn on 127.0.0.1:{port}, {workers} workers × {threads} threads")
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)

    def wait_until_up(self, port: int, server: subprocess.Popen, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}.")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", reverse("healthz"))
                if connection.getresponse().status in (200, 503):
                    return
            except OSError:
                time.sleep(0.2)
        raise CommandError("gunicorn did not answer within 30 seconds.")

    def drive(self, port: int, paths: list[str], options) -> list[tuple[str, int, float, float]]:
        """Each client loops over the paths on one keep-alive connection until time is up."""
        results = []
        lock = threading.Lock()
        start = time.monotonic()
        counted_from = start + options["warmup"]
        stop = counted_from + options["duration"]

        def client(number: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine = []
            turn = number
            while (now := time.monotonic()) < stop:
                path = paths[turn % len(paths)]
                turn += 1
                try:
                    connection.request("GET", path, headers={"Host": "127.0.0.1"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    status = 0  # no answer at all
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                done = time.monotonic()
                if now >= counted_from:
                    mine.append((path, status, done - now, done))
            connection.close()
            with lock:
                results.extend(mine)

        threads = [
            threading.Thread(target=client, args=(n,)) for n in range(options["concurrency"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def report(self, results, options) -> int:
        duration = options["duration"]
        latencies = sorted(latency for _, _, latency, _ in results)
        statuses = Counter(status for _, status, _, _ in results)
        failures = sum(count for status, count in statuses.items() if not 200 <= status < 300)
        ms = [latency * 1000 for latency in latencies]
        self.stdout.write(
            f"\n{len(results)} requests in {duration:.0f}s with {options['concurrency']} "
            f"clients: {len(results) / duration:.1f} requests/s"
        )
        if ms:
            self.stdout.write(
                "latency ms: "
                f"p50 {percentile(ms, 0.50):.1f}  p90 {percentile(ms, 0.90):.1f}  "
                f"p95 {percentile(ms, 0.95):.1f}  p99 {percentile(ms, 0.99):.1f}  "
                f"max {ms[-1]:.1f}  mean {statistics.fmean(ms):.1f}"
            )
        self.stdout.write(
            f"non-2xx answers: {failures}  (statuses: {dict(sorted(statuses.items()))})"
        )
        per_path = {}
        for path, status, latency, _ in results:
            per_path.setdefault(path, []).append((status, latency * 1000))
        for path, rows in per_path.items():
            times = sorted(latency for _, latency in rows)
            bad = sum(1 for status, _ in rows if not 200 <= status < 300)
            self.stdout.write(
                f"  {path:<40} {len(rows):>6} req  p50 {percentile(times, 0.5):7.1f} ms  "
                f"p95 {percentile(times, 0.95):7.1f} ms  non-2xx {bad}"
            )
        return failures
