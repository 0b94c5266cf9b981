"""`make bench`: the performance targets of DESIGN.md, measured on generated data.

Runs on its own PostgreSQL database (the Makefile creates `leadflip_bench` and points
DATABASE_URL at it) and prints one table: each figure next to its target, with peak memory.
Data is loaded with COPY. Nothing here is used by the product; nothing touches the network.
"""

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled

from distribution import tallies
from distribution.models import Assignment, DistributionProfile
from entities.models import Account, ApiKey, Entity, Membership, User
from invoicing.billing import finalize_invoice, generate_drafts, preview_period
from invoicing.documents import pdf_from_html
from invoicing.models import BillingRun, Invoice, InvoiceDocument
from invoicing.runs import start_run
from invoicing.templating import render_invoice_html
from partners.models import Partner

MONTH = (date(2026, 10, 1), date(2026, 10, 31))
BERLIN = ZoneInfo("Europe/Berlin")
SELLER = {
    "legal_name": "Bench Leads GmbH", "street": "Friedrichstraße 10", "postcode": "10117",
    "city": "Berlin", "country": "DE", "vat_id": "DE136695976", "tax_number": "27/123/45678",
    "iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "email": "billing@bench.example.com",
    "contact_name": "Anna Becker", "phone": "+49 30 1234567", "time_zone": "Europe/Berlin",
    "legal_form": "GmbH", "register_court": "Amtsgericht Berlin (Charlottenburg)",
    "register_number": "HRB 12345", "managing_directors": "Anna Becker",
}  # fmt: skip


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class Command(BaseCommand):
    help = "Measure billing at scale against the targets; prints one table."

    def add_arguments(self, parser):
        parser.add_argument("--transactions", type=int, default=1_000_000)
        parser.add_argument("--partners", type=int, default=1000)
        parser.add_argument("--api-requests", type=int, default=5000)
        parser.add_argument("--per-lead", type=int, default=10_000)
        parser.add_argument("--invoices", type=int, default=100_000)
        parser.add_argument("--step", help="Run one step in this process (used internally).")
        parser.add_argument("--entity", type=int)

    def handle(self, *args, **options):
        if not connection.vendor == "postgresql":
            raise SystemExit("The benchmark needs PostgreSQL (DATABASE_URL).")
        with scopes_disabled():
            if options["step"]:
                print(json.dumps(STEPS[options["step"]](options)))
                return
            self.rows = []
            self.run(options)
        self.print_table()

    def measure(self, work, target, limit, unit="s", higher_is_better=False, note=""):
        self.rows.append((work, target, limit, unit, higher_is_better, note))
        self.stdout.write(f"  {work}: {limit:,.2f} {unit} (target {target}) {note}")

    def run(self, options):
        cores = os.cpu_count()
        self.stdout.write(
            f"Leadflip benchmark on {cores} cores; PostgreSQL {connection.pg_version}"
        )
        self.speed_before = machine_speed()
        self.stdout.write(self.speed_before)
        account = Account.objects.create(name="Bench")
        entity = Entity.objects.create(account=account, name="Bench DE", **SELLER)

        started = time.perf_counter()
        load_month(entity, options["partners"], options["transactions"])
        self.stdout.write(
            f"loaded {options['transactions']:,} transactions over {options['partners']:,} "
            f"partners in {time.perf_counter() - started:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE distribution_distributiontransaction")

        started = time.perf_counter()
        previews = preview_period(entity, *MONTH)
        elapsed = time.perf_counter() - started
        assert len(previews) == options["partners"]
        self.measure(
            f"preview of a month, {options['transactions']:,} transactions", "≤ 1 s", elapsed
        )

        before = peak_mb()
        started = time.perf_counter()
        result = generate_drafts(entity, *MONTH)
        elapsed = time.perf_counter() - started
        assert result.drafts_created == options["partners"]
        self.measure(
            f"generate {result.drafts_created:,} drafts", "≤ 10 s", elapsed,
            note=f"{settings.GENERATION_WORKERS} connections, peak memory +{peak_mb() - before} MB",
        )  # fmt: skip

        run = billing_run_on_workers(entity)
        self.measure(
            f"finalize + ZUGFeRD PDF, 1 worker ({run['one_measured']} measured)", "—",
            run["total"] / run["one_rate"],
            note=f"{run['one_rate']:.1f}/s → {run['total']} in {run['total'] / run['one_rate']:.0f} s",
        )  # fmt: skip
        self.measure(
            f"finalize + ZUGFeRD PDF, one run on 2 workers ({run['two_measured']} measured)",
            "≤ 30 s", run["total"] / run["two_rate"],
            note=f"{run['two_rate']:.1f}/s; peak memory per worker {run['worker_mb']} MB",
        )  # fmt: skip
        self.measure(
            "the run's throughput on 2 workers / on 1", "≥ 1.8", run["two_rate"] / run["one_rate"],
            unit="×", higher_is_better=True,
            note="each a separate Celery worker process, as on two machines",
        )  # fmt: skip

        engines = against_chromium(Invoice.objects.filter(entity=entity, status="final").first())
        if engines is None:
            self.stdout.write("  (no /usr/bin/chromium: make test-system-deps installs it)")
        else:
            ours, chromium = engines
            self.measure(
                "one invoice's HTML to PDF: ours (WeasyPrint) / Chromium's print",
                "≤ 1.0", ours / chromium, unit="×",
                note=f"ours {ours * 1000:.0f} ms, Chromium {chromium * 1000:.0f} ms (warm page)",
            )  # fmt: skip

        rate, batch_rate = api_throughput(entity, options["api_requests"], cores)
        self.measure(
            f"API deliveries, one request each ({options['api_requests']:,})", "≥ 500/s", rate,
            unit="/s", higher_is_better=True,
        )  # fmt: skip
        self.measure(
            f"API deliveries in batches of {BATCH:,} ({BATCHES} requests, one client)",
            "≥ 50000/s", batch_rate, unit="/s", higher_is_better=True,
        )  # fmt: skip

        per_lead = json.loads(
            run_step("per_lead", {"count": options["per_lead"], "entity": entity.pk})
        )
        self.measure(
            f"per-lead invoice, {options['per_lead']:,} leads: PDF + XML", "≤ 20 s",
            per_lead["seconds"], note=f"peak memory {per_lead['peak_mb']} MB (≤ 500 MB)",
        )  # fmt: skip

        client = logged_in_client(account)
        seconds = invoice_list(entity, client, options["invoices"])
        self.measure(
            f"invoice list page, {options['invoices']:,} invoices", "≤ 100 ms",
            seconds * 1000, unit="ms", note="median of 20 requests, 3 filters",
        )  # fmt: skip

        counting, seconds = dashboard_page(entity, client)
        self.measure(
            f"dashboard, {options['transactions']:,} deliveries, {options['invoices']:,} invoices",
            "≤ 200 ms", seconds * 1000, unit="ms",
            note=f"median of 20 requests; the background count of its 12 months took {counting:.1f} s",
        )  # fmt: skip

    def print_table(self):
        self.stdout.write("")
        self.stdout.write(f"{'work':<62} {'target':>9} {'measured':>11}  ok  note")
        for work, target, value, unit, higher, note in self.rows:
            limit = _limit(target)
            ok = (
                "—"
                if limit is None
                else ("yes" if (value >= limit if higher else value <= limit) else "NO")
            )
            shown = f"{value:,.0f} {unit}" if unit in ("/s", "ms") else f"{value:,.2f} {unit}"
            self.stdout.write(f"{work:<62} {target:>9} {shown:>11}  {ok:<3} {note}")
        self.stdout.write(f"peak memory of this process: {peak_mb()} MB")
        self.stdout.write(f"at the start, {self.speed_before}")
        self.stdout.write(f"at the end, {machine_speed()}")


def machine_speed() -> str:
    """Two fixed workloads, so that figures from different machines (or hours on a shared
    one) can be compared: the same loop took 0.7 s and 1.8 s within half an hour here."""
    started = time.perf_counter()
    total = 0
    for n in range(10_000_000):
        total += n
    python = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM generate_series(1, 5000000)")
    postgres = time.perf_counter() - started
    return (
        f"machine speed: a 10,000,000-step Python loop {python:.2f} s, "
        f"PostgreSQL counting 5,000,000 rows {postgres:.2f} s"
    )


def _limit(target: str):
    digits = "".join(c for c in target if c.isdigit() or c == ".")
    return float(digits) if digits else None


def copy_rows(table: str, columns: list[str], rows) -> None:
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def load_month(entity: Entity, partner_count: int, count: int) -> None:
    """Partners, one profile with an assignment each, and `count` deliveries in the month."""
    partners = Partner.objects.bulk_create(
        Partner(entity=entity, name=f"Partner {n:04}", legal_name=f"Partner {n:04} GmbH",
                street="Hauptstraße 1", postcode="80331", city="München", country="DE",
                email=f"p{n}@bench.example.com")
        for n in range(partner_count)
    )  # fmt: skip
    profile = DistributionProfile.objects.create(
        entity=entity, name="Solar", base_price=Decimal("12.50")
    )
    assignments = Assignment.objects.bulk_create(
        Assignment(profile=profile, partner=p, name=f"Segment {n}",
                   price_override=Decimal("10.00") + n % 7)
        for n, p in enumerate(partners)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM distribution_lead")
        first_lead = cursor.fetchone()[0] + 1
    start = datetime.combine(MONTH[0], datetime.min.time(), BERLIN)
    seconds = int(
        (
            datetime.combine(MONTH[1] + timedelta(days=1), datetime.min.time(), BERLIN) - start
        ).total_seconds()
    )
    now = datetime.now(BERLIN)
    copy_rows(
        "distribution_lead", ["id", "entity_id", "external_id", "created_at"],
        ((first_lead + n, entity.pk, f"B-{entity.pk}-{n}", now) for n in range(count)),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('distribution_lead_id_seq', %s)", [first_lead + count])
    copy_rows(
        "distribution_distributiontransaction",
        ["entity_id", "partner_id", "assignment_id", "lead_id", "price", "currency",
         "delivered_at", "status", "cancel_reason"],
        (
            (entity.pk, assignments[n % len(assignments)].partner_id, assignments[n % len(assignments)].pk,
             first_lead + n, assignments[n % len(assignments)].price_override, "EUR",
             start + timedelta(seconds=(n * 7919) % seconds), "delivered", "")
            for n in range(count)
        ),
    )  # fmt: skip


def against_chromium(invoice: Invoice, runs: int = 21) -> tuple[float, float] | None:
    """Median seconds to turn one invoice's HTML into a PDF: ours (WeasyPrint, PDF/A-3b,
    as finalizing renders it, without embedding the XML) and Debian's Chromium printing the
    same HTML in a page kept open, as Gotenberg keeps one. None without Chromium."""
    if not os.path.exists(CHROMIUM):
        return None
    from playwright.sync_api import sync_playwright

    html = render_invoice_html(invoice)  # before Playwright's event loop: the ORM is sync

    def median(work) -> float:
        work()  # warm
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            work()
            timings.append(time.perf_counter() - started)
        return sorted(timings)[runs // 2]

    ours = median(lambda: pdf_from_html(html, pdf_variant="pdf/a-3b"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()

        def chromium() -> bytes:
            page.set_content(html)
            return page.pdf(format="A4", print_background=True)

        theirs = median(chromium)
        browser.close()
    return ours, theirs


CHROMIUM = "/usr/bin/chromium"


BENCH_REDIS = "redis://127.0.0.1:6379/11"


def start_worker(name: str, workers: list) -> Path:
    """A Celery worker process of its own, one task at a time, as on a machine of its own;
    added to `workers` at once, so that it is stopped even if it never gets ready. Its log."""
    log = Path(tempfile.gettempdir()) / f"leadflip-bench-{name}.log"
    env = {**os.environ, "REDIS_URL": BENCH_REDIS, "SECRET_KEY": settings.SECRET_KEY,
           "DB_CONN_MAX_AGE": "60"}  # fmt: skip  # as in production (docker-compose.yml)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadflip", "worker", "--concurrency=1",
         "--loglevel=INFO", "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    workers.append(worker)
    wait_for(lambda: "ready." in log.read_text(errors="replace"), timeout=60)
    return log


def stop_workers(workers: list) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(condition, timeout: float = 600):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("The benchmark waited in vain.")
        time.sleep(0.05)


def worker_peak_mb(worker: subprocess.Popen) -> int:
    """The largest peak resident memory of a worker's pool processes."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(status.split("VmHWM:")[1].split()[0]) // 1024)
    return max(peaks, default=0)


def billing_run_on_workers(entity: Entity) -> dict:
    """The month's billing run in finalize mode, on Celery workers through Redis: one
    worker alone for the first fifth of the invoices, then a second one started beside it
    for the rest. The rates leave out each worker's first task (its warm-up)."""
    from leadflip.celery import app

    redis.Redis.from_url(BENCH_REDIS).flushdb()
    app.conf.task_always_eager, app.conf.broker_url = False, BENCH_REDIS
    app._pool, app.amqp._producer_pool = None, None  # connect to the broker just set
    drafts = Invoice.objects.filter(entity=entity, status="draft")
    total = drafts.count()

    def final() -> int:
        return Invoice.objects.filter(entity=entity, status="final").count()

    workers = []
    try:
        start_worker("first", workers)
        run, _ = start_run(entity, *MONTH, Entity.BILL_FINALIZE, by="bench")
        wait_for(lambda: final() >= 1)
        one_started, one_first = time.perf_counter(), final()
        wait_for(lambda: final() >= total // 5)
        one_rate = (final() - one_first) / (time.perf_counter() - one_started)
        one_measured = final() - one_first

        second = start_worker("second", workers)
        wait_for(lambda: " succeeded in " in second.read_text(errors="replace"))
        two_started, two_first = time.perf_counter(), final()
        wait_for(lambda: BillingRun.objects.get(pk=run.pk).status == BillingRun.DONE)
        two_rate = (total - two_first) / (time.perf_counter() - two_started)
        worker_mb = max(worker_peak_mb(worker) for worker in workers)
    finally:
        stop_workers(workers)
        app.conf.task_always_eager, app.conf.broker_url = True, "memory://"
        app._pool, app.amqp._producer_pool = None, None
    numbers = sorted(Invoice.objects.filter(entity=entity).values_list("number", flat=True))
    assert numbers == [f"RE-2026-{n:05}" for n in range(1, total + 1)], "gap-free, once"
    pdfs = InvoiceDocument.objects.filter(invoice__entity=entity, kind=InvoiceDocument.PDF)
    assert pdfs.count() == total, "every invoice rendered once"
    return {
        "total": total, "one_rate": one_rate, "one_measured": one_measured,
        "two_rate": two_rate, "two_measured": total - two_first, "worker_mb": worker_mb,
    }  # fmt: skip


def _post_deliveries(args) -> int:
    """One client: `count` POSTs, one delivery each, over one kept-alive connection.

    Plain socket writes and reads of prebuilt requests: the load generator shares the two
    cores with the server and PostgreSQL, and http.client's response parsing cost about as
    much CPU per request as the server's own work (510/s with it, 630/s without)."""
    port, key, assignment_id, start, count = args
    connection = socket.create_connection(("127.0.0.1", port))
    head = (
        "POST /api/v1/deliveries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer {key}\r\n"
    ).encode()
    for n in range(start, start + count):
        body = json.dumps({"assignment": assignment_id, "lead": f"API-{n}"}).encode()
        connection.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        response = b""
        while b"\r\n\r\n" not in response:
            response += _received(connection)
        headers, _, content = response.partition(b"\r\n\r\n")
        assert headers.startswith(b"HTTP/1.1 201"), headers[:40]
        length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(content) < length:
            content += _received(connection)
    connection.close()
    return count


def _received(connection: socket.socket) -> bytes:
    if not (data := connection.recv(65536)):
        raise ConnectionError("The server closed the connection.")
    return data


BATCH, BATCHES = 10_000, 10


def _post_batches(port: int, key: str, assignment: int, first: int) -> tuple[int, float]:
    """POST /api/v1/deliveries/batch BATCHES times, BATCH new leads each, one by one on one
    kept-alive connection (so one server process), after a first batch that warms that
    process; the deliveries recorded and the seconds the timed ones took."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    recorded, started = 0, None
    for number in range(BATCHES + 1):
        if number == 1:
            started, recorded = time.perf_counter(), 0
        start = first + number * BATCH
        body = json.dumps([{"assignment": assignment, "lead": f"B-{n}"}
                           for n in range(start, start + BATCH)])  # fmt: skip
        connection.request("POST", "/api/v1/deliveries/batch", body, {
            "Authorization": f"Bearer {key}", "Content-Type": "application/json",
        })  # fmt: skip
        response = connection.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200, answer
        recorded += answer["created"]
    elapsed = time.perf_counter() - started
    connection.close()
    return recorded, elapsed


def api_throughput(entity: Entity, requests: int, cores: int) -> tuple[float, float]:
    """Deliveries per second through the real API, served by Granian on loopback: one per
    request from several clients, and in batches from one client."""
    assignment = Assignment.objects.filter(profile__entity=entity).first()
    _, key = ApiKey.issue(entity, "bench")
    port = 8765
    env = {**os.environ, "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
           "DB_CONN_MAX_AGE": "60"}  # fmt: skip
    # As in production (docker-compose.yml): Granian, a process per core, threads,
    # kept-alive connections.
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "leadflip.wsgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(cores),
         "--blocking-threads", "4", "--log-level", "warning"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                time.sleep(0.1)
        _post_deliveries((port, key, assignment.pk, 10_000_000, 200))  # warm up
        clients = cores * 2
        share = requests // clients
        started = time.perf_counter()
        with ProcessPoolExecutor(clients) as pool:
            sent = sum(pool.map(_post_deliveries, [
                (port, key, assignment.pk, 20_000_000 + c * share, share) for c in range(clients)
            ]))  # fmt: skip
        single = sent / (time.perf_counter() - started)
        recorded, seconds = _post_batches(port, key, assignment.pk, 100_000_000)
        assert recorded == BATCH * BATCHES, "every delivery of the batches recorded"
        return single, recorded / seconds
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def run_step(step: str, arguments: dict) -> str:
    """Run one step in a fresh process, so its peak memory is its own."""
    command = [sys.executable, "manage.py", "bench", "--step", step, "--entity", str(arguments["entity"]),
               "--per-lead", str(arguments["count"])]  # fmt: skip
    return (
        subprocess.run(command, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )


def step_per_lead(options) -> dict:
    entity = Entity.objects.get(pk=options["entity"])
    partner = Partner.objects.create(
        entity=entity, name="Per lead", legal_name="Per Lead GmbH", street="Weg 1",
        postcode="10115", city="Berlin", country="DE", line_items=Partner.PER_LEAD,
    )  # fmt: skip
    profile = DistributionProfile.objects.create(
        entity=entity, name="Per lead", base_price=Decimal("12.50")
    )
    assignment = Assignment.objects.create(profile=profile, partner=partner, name="All")
    count = options["per_lead"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM distribution_lead")
        first = cursor.fetchone()[0] + 1
    start = datetime(2026, 9, 1, tzinfo=BERLIN)
    copy_rows("distribution_lead", ["id", "entity_id", "external_id", "created_at"],
              ((first + n, entity.pk, f"PL-{n:06}", start) for n in range(count)))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('distribution_lead_id_seq', %s)", [first + count])
    copy_rows(
        "distribution_distributiontransaction",
        ["entity_id", "partner_id", "assignment_id", "lead_id", "price", "currency",
         "delivered_at", "status", "cancel_reason"],
        ((entity.pk, partner.pk, assignment.pk, first + n, Decimal("12.50"), "EUR",
          start + timedelta(minutes=n * 3), "delivered", "") for n in range(count)),
    )  # fmt: skip
    started = time.perf_counter()
    generate_drafts(entity, date(2026, 9, 1), date(2026, 9, 30))
    invoice = Invoice.objects.get(partner=partner)
    finalize_invoice(invoice)
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


def logged_in_client(account: Account) -> Client:
    user = User.objects.create_user("bench@bench.example.com", "bench-pass-123")
    Membership.objects.create(user=user, account=account, role=Membership.OWNER)
    client = Client()
    client.force_login(user)
    return client


def invoice_list(entity: Entity, client: Client, count: int) -> float:
    """Median server time of the invoices page over `count` invoices."""
    existing = Invoice.objects.filter(entity=entity).count()
    partners = list(Partner.objects.filter(entity=entity).values_list("pk", flat=True))
    today = date(2026, 11, 1)
    copy_rows(
        "invoicing_invoice",
        ["entity_id", "partner_id", "kind", "self_billed", "status", "period_start", "period_end", "currency",
         "number", "issue_date", "due_date", "seller", "buyer", "tax_category", "tax_rate",
         "tax_note", "tax_exemption_reason", "tax_exemption_code", "einvoice_format",
         "subtotal", "tax_amount", "total", "notes", "amount_paid", "is_overdue", "void_reason",
         "created_at", "tax_country", "tax_currency", "exchange_rate_source",
         "exchange_rate_entered_by", "allowance_amount", "allowance_reason", "language",
         "payment_reference"],
        ((entity.pk, partners[n % len(partners)], "invoice", False, "final", date(2020, 1, 1) + timedelta(days=n // 100),
          date(2020, 1, 1) + timedelta(days=n // 100), "EUR", f"HIST-{n:07}", today, today + timedelta(days=14),
          "{}", "{}", "S", Decimal("19"), "", "", "", "pdf", Decimal("100"), Decimal("19"), Decimal("119"),
          "", Decimal("0"), n % 3 == 0, "", datetime.now(BERLIN), "DE", "", "", "", Decimal("0"), "", "en",
          "")
         for n in range(count - existing)),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE invoicing_invoice")
    timings = []
    for query in [{}, {"status": "overdue"}, {"q": "HIST-00123"}] * 7:
        started = time.perf_counter()
        response = client.get("/distribution/invoices/", query)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    timings.sort()
    return timings[len(timings) // 2]


def dashboard_page(entity: Entity, client: Client) -> tuple[float, float]:
    """Seconds the background count of the dashboard's months took, and the median server
    time of the dashboard over the counted months."""
    started = time.perf_counter()
    tallies.count_due_months(entity)
    counting = time.perf_counter() - started
    timings = []
    for query in [{}, {"month": f"{MONTH[0]:%Y-%m}"}] * 10:
        started = time.perf_counter()
        response = client.get("/", query)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        assert response.content.count(b'class="pygal-chart"') >= 3
    timings.sort()
    return counting, timings[len(timings) // 2]


STEPS = {"per_lead": step_per_lead}
