import pytest
from django.test import Client
from django_scopes import scopes_disabled

from entities.models import Membership, SmtpSettings

from .access_point_stub import AccessPointStub
from .celery_worker import REDIS_URL as CELERY_TEST_REDIS
from .celery_worker import Worker
from .ecb_stub import EcbStub
from .factories import make_account, make_entity, make_partner, make_user
from .smtp_server import SmtpServer
from .vies_stub import ViesStub


@pytest.fixture(autouse=True)
def _no_scope():
    """Test set-up reads and writes across tenants; views still run inside the scope that
    the middleware enters for the logged-in user."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in English: a request's LocaleMiddleware leaves its language active
    in the thread, as Django does, until the next request."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttling counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _local_mail_servers(settings):
    """The test SMTP server and the access point stub listen on loopback, which production
    refuses."""
    settings.ALLOW_PRIVATE_SMTP_HOSTS = True
    settings.ALLOW_PRIVATE_ACCESS_POINT_HOSTS = True
    settings.ALLOW_PRIVATE_WEBHOOK_HOSTS = True


@pytest.fixture(autouse=True)
def _no_real_vies(settings):
    """Nothing leaves the machine: VIES is a closed port unless a test starts the stub."""
    settings.VIES_URL = "http://127.0.0.1:9/vies"


@pytest.fixture
def ecb(settings):
    """A local ECB serving its reference-rate XML; set `ecb.rates[day] = {currency: rate}`."""
    stub = EcbStub()
    settings.ECB_RATES_URL = stub.url
    yield stub
    stub.stop()


@pytest.fixture
def vies(settings):
    """A local VIES speaking the real WSDL; set `vies.answers[vat_id]`."""
    stub = ViesStub()
    settings.VIES_URL = stub.url
    yield stub
    stub.stop()


@pytest.fixture
def access_point(account, settings):
    """A local Peppol access point speaking e-invoice.be's API, set up as the Account's."""
    from entities.models import AccessPointSettings

    stub = AccessPointStub()
    settings.PEPPOL_TIMEOUT = 2
    configured = AccessPointSettings(account=account, base_url=stub.url)
    configured.api_key, configured.webhook_secret = stub.api_key, stub.webhook_secret
    configured.save()
    stub.settings = configured
    yield stub
    stub.stop()


@pytest.fixture
def smtp(account):
    """A local SMTP server, configured as the Account's mail server. `smtp.inbox` holds what
    it received."""
    server = SmtpServer()
    SmtpSettings.objects.create(
        account=account,
        host="127.0.0.1",
        port=server.port,
        security=SmtpSettings.NONE,
        from_email="billing@acme.test",
        from_name="Acme Leads Billing",
    )
    yield server
    server.stop()


@pytest.fixture
def account(db):
    return make_account()


@pytest.fixture
def entity(account):
    return make_entity(account)


@pytest.fixture
def partner(entity):
    return make_partner(entity, name="Solar Leads Munich", legal_name="Solar Leads München GmbH")


@pytest.fixture
def owner(account, entity):
    return make_user(account, Membership.OWNER, email="owner@acme.test")


@pytest.fixture
def finance(account, entity):
    return make_user(account, Membership.FINANCE, email="finance@acme.test")


@pytest.fixture
def viewer(account, entity):
    return make_user(account, Membership.VIEWER, email="viewer@acme.test")


@pytest.fixture
def other_account(db):
    return make_account("Other Operator")


@pytest.fixture
def other_entity(other_account):
    return make_entity(other_account, name="Other FR", legal_name="Autre SAS", country="FR")


@pytest.fixture
def outsider(other_account, other_entity):
    return make_user(other_account, Membership.OWNER, email="outsider@other.test")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner):
    return _client_for(owner)


@pytest.fixture
def finance_client(finance):
    return _client_for(finance)


@pytest.fixture
def viewer_client(viewer):
    return _client_for(viewer)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def celery_worker(transactional_db, tmp_path, settings):
    """A real Celery worker on Redis; this process sends tasks to it instead of running them
    in-process."""
    from leadflip.celery import app

    worker = Worker(
        tmp_path / "worker.log",
        SEND_RETRY_SECONDS=0,
        VIES_URL=settings.VIES_URL,
        PEPPOL_TIMEOUT=1,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY,
    )
    previous = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, CELERY_TEST_REDIS
    _reset_connections(app)
    yield worker
    app.conf.task_always_eager, app.conf.broker_url = previous
    _reset_connections(app)
    worker.stop()


def _reset_connections(app):
    """Forget pooled broker connections, so the next task goes to the broker now configured.

    Not app.close(): it also takes the app off Celery's list of apps, and a task module
    imported after that (a test's first use of it) is then never registered with it."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Queue an invoice for sending and run the Celery task, as after the commit."""
    from invoicing.channels import queue_sending

    def run(invoice, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            dispatch = queue_sending(invoice, **kwargs)
        dispatch.refresh_from_db()
        return dispatch

    return run
