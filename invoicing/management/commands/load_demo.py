"""Demo data for `make run`: one operator Account with a German GmbH and a US Inc, their
partners and profiles, and about three months of deliveries. The two months before last
are invoiced already, as an operator would have done it: paid, partly paid and overdue
invoices, a late cancellation's credit note and a voided invoice; last month waits to be
billed, and this month's deliveries are coming in. Idempotent: a second run only makes
sure the login works."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from distribution.models import (
    Assignment,
    DistributionProfile,
    DistributionTransaction,
    Lead,
    ReturnPolicy,
)
from entities.models import Account, Entity, Membership, User
from invoicing.billing import (
    finalize_invoice,
    generate_drafts,
    local_today,
    missing_invoicing_details,
)
from invoicing.corrections import cancel_delivery, void_invoice
from invoicing.forms import previous_month
from invoicing.models import Invoice
from invoicing.payments import mark_overdue_invoices, record_payment
from invoicing.payouts import generate_payout_drafts
from invoicing.returns import decide_returns, submit_returns
from partners.checks import refresh_invoicing_problems
from partners.models import Partner, PartnerUser, SelfBillingAgreement

ACCOUNT_NAME = "Demo Leads"
EMAIL = "operator@demo.leadflip.test"
PASSWORD = "leadflip-demo"
# A buyer's login to the partner portal, with the same password.
PARTNER_EMAIL = "buyer@dachprofi.demo.leadflip.test"
PORTAL_PARTNER = "Dachprofi Stuttgart"
BATCH = 5000

TERMS_VERSION = "2026-01"
TERMS = (
    "Demo Leads GmbH issues the invoices for the leads you supply on your behalf "
    "(self-billing). You will not issue invoices of your own for these leads, and you tell "
    "us at once when your VAT status or your invoicing details change."
)

GMBH = {
    "name": "Demo Leads DE",
    "legal_name": "Demo Leads GmbH",
    "street": "Friedrichstraße 68",
    "postcode": "10117",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
    "tax_number": "30/123/45678",
    "tax_office": "Finanzamt Berlin Mitte/Tiergarten",
    "contact_name": "Anna Becker",
    "email": "billing@demo-leads.example.com",
    "phone": "+49 30 2025 1400",
    "bank_name": "Berliner Sparkasse",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "default_currency": "EUR",
    "payment_terms_days": 14,
    "time_zone": "Europe/Berlin",
    "legal_form": "GmbH",
    "register_court": "Amtsgericht Berlin (Charlottenburg)",
    "register_number": "HRB 184512",
    "managing_directors": "Anna Becker, Jonas Weber",
    # The numbers of DATEV's own sample file, so that the DATEV export can be tried.
    "datev_consultant_number": 29098,
    "datev_client_number": 55003,
    "self_billing_terms": TERMS,
    "self_billing_terms_version": TERMS_VERSION,
}
INC = {
    "name": "Demo Leads US",
    "legal_name": "Demo Leads Inc.",
    "street": "350 Fifth Avenue, Suite 4100",
    "postcode": "10118",
    "city": "New York",
    "region": "NY",
    "country": "US",
    "tax_number": "84-1234567",
    "contact_name": "Sam Miller",
    "email": "billing@demo-leads-us.example.com",
    "phone": "+1 212 555 0147",
    "bank_name": "Chase Bank",
    "default_currency": "USD",
    "payment_terms_days": 30,
    "time_zone": "America/New_York",
}

VIES = {"vies_status": Partner.VIES_VALID, "vies_request_identifier": "WAPIAAAAZ0DEMO1"}
# (entity, name, legal name, street, postcode, city, country, VAT ID, terms, extra)
PARTNERS = [
    ("de", "Solar Leads München", "Solar Leads München GmbH", "Leopoldstraße 12", "80802", "München", "DE", "DE129273398", 14, {}),
    ("de", "Energiewerk Nord", "Energiewerk Nord GmbH", "Spitalerstraße 4", "20095", "Hamburg", "DE", "", 30, {}),
    ("de", "Versicherungsbüro Köln", "Versicherungsbüro Köln GmbH & Co. KG", "Hohe Straße 3", "50667", "Köln", "DE", "", 14, {}),
    ("de", "Dachprofi Stuttgart", "Dachprofi Stuttgart GmbH", "Königstraße 20", "70173", "Stuttgart", "DE", "", 7, {}),
    ("de", "Wärmepumpen Leipzig", "Wärmepumpen Leipzig GmbH", "Petersstraße 8", "04109", "Leipzig", "DE", "", 14, {}),
    ("de", "Stadtwerke Musterhausen", "Stadtwerke Musterhausen", "Rathausplatz 1", "12345", "Musterhausen", "DE", "", 30, {"einvoice_format": Partner.EINVOICE_XRECHNUNG_CII, "buyer_reference": "991-01234-56"}),
    ("de", "Wiener Energie Leads", "Wiener Energie Leads GmbH", "Ringstraße 1", "1010", "Wien", "AT", "ATU13585627", 14, VIES),
    ("de", "Alpen Solar", "Alpen Solar GmbH", "Maria-Theresien-Straße 9", "6020", "Innsbruck", "AT", "", 14, {}),
    ("de", "Leads de Paris", "Leads de Paris SAS", "12 rue de la Paix", "75002", "Paris", "FR", "FR40303265045", 30, VIES),
    ("de", "Lyon Assurances", "Lyon Assurances SARL", "5 place Bellecour", "69002", "Lyon", "FR", "", 30, {}),
    ("de", "Amsterdam Energy Leads", "Amsterdam Energy Leads B.V.", "Damrak 1", "1012 LG", "Amsterdam", "NL", "NL004495445B01", 14, VIES),
    ("de", "Rotterdam Zon", "Rotterdam Zon B.V.", "Coolsingel 40", "3011 AD", "Rotterdam", "NL", "", 14, {}),
    ("de", "Athens Solar", "Athens Solar A.E.", "Ermou 5", "10557", "Athina", "GR", "EL094259216", 30, VIES),
    ("de", "Thessaloniki Leads", "Thessaloniki Leads I.K.E.", "Tsimiski 20", "54624", "Thessaloniki", "GR", "", 30, {}),
    ("de", "London Lead Exchange", "London Lead Exchange Ltd", "1 Poultry", "EC2R 8EJ", "London", "GB", "GB980780684", 30, {}),
    ("de", "Manchester Mortgages", "Manchester Mortgages Ltd", "2 Piccadilly Place", "M1 3BG", "Manchester", "GB", "", 30, {}),
    ("de", "Chicago Insurance Partners", "Chicago Insurance Partners LLC", "233 S Wacker Dr", "60606", "Chicago", "US", "", 30, {"region": "IL"}),
    ("de", "Jonas Weber", "Jonas Weber", "Bergmannstraße 5", "10961", "Berlin", "DE", "", 7, {"kind": Partner.INDIVIDUAL, "is_supplier": True, "iban": "DE75512108001245126199", "vat_status": Partner.PRIVATE_PERSON, "not_a_business_declared_on": date(2026, 3, 2)}),
    ("de", "Claire Martin", "Claire Martin", "8 rue Sainte-Catherine", "33000", "Bordeaux", "FR", "", 14, {"kind": Partner.INDIVIDUAL}),
    ("us", "Brooklyn Home Loans", "Brooklyn Home Loans LLC", "1 Main St", "11201", "Brooklyn", "US", "", 30, {"region": "NY"}),
    ("us", "Austin Mortgage Co", "Austin Mortgage Company", "100 Congress Ave", "78701", "Austin", "US", "", 30, {"region": "TX"}),
    ("us", "Denver Lending", "Denver Lending Inc.", "1801 California St", "80202", "Denver", "US", "", 14, {"region": "CO"}),
    ("us", "Miami Refinance", "Miami Refinance LLC", "200 S Biscayne Blvd", "33131", "Miami", "US", "", 30, {"region": "FL"}),
    ("us", "Seattle Homes Finance", "Seattle Homes Finance Corp.", "1201 3rd Ave", "98101", "Seattle", "US", "", 30, {"region": "WA"}),
    ("us", "Toronto Mortgage Leads", "Toronto Mortgage Leads Inc.", "100 King St W", "M5X 1A9", "Toronto", "CA", "", 30, {"region": "ON"}),
]  # fmt: skip

SUPPLIER = {"is_buyer": False, "is_supplier": True}
# Lead suppliers (affiliates) of the German Entity: registered in Germany (type C) and in
# Austria (B), a small business, and one that has not accepted the terms yet: (name, legal
# name, street, postcode, city, country, VAT ID, extra, agreed, purchase price per lead)
SUPPLIERS = [
    ("Affiliate Network Hamburg", "Affiliate Network Hamburg GmbH", "Jungfernstieg 7", "20354", "Hamburg", "DE", "DE811907980", {**VIES, "iban": "DE02200505501015871393"}, True, "4.50"),
    ("Grazer Affiliates", "Grazer Affiliates GmbH", "Herrengasse 1", "8010", "Graz", "AT", "ATU13585627", {**VIES, "iban": "AT611904300234573201"}, True, "5.00"),
    ("Kraus Webdesign", "Lena Kraus Webdesign", "Kaiser-Joseph-Straße 10", "79098", "Freiburg", "DE", "", {"vat_status": Partner.SMALL_BUSINESS, "tax_number": "06/123/45678", "iban": "DE89370400440532013000"}, True, "3.50"),
    ("Lisboa Leads", "Lisboa Leads Lda", "Rua Augusta 1", "1100-148", "Lisboa", "PT", "PT501964843", {"iban": "PT50000201231234567890154"}, False, "3.00"),
]  # fmt: skip

# (entity, profile, base price, currency, [(partner, assignment, price override or None)])
PROFILES = [
    ("de", "Solar DE", "18.00", "EUR", [
        ("Solar Leads München", "Bayern", None),
        ("Energiewerk Nord", "Nord", "16.50"),
        ("Dachprofi Stuttgart", "Baden-Württemberg", None),
        ("Wärmepumpen Leipzig", "Sachsen", "15.00"),
        ("Stadtwerke Musterhausen", "Kommunal", "12.00"),
        ("Jonas Weber", "Berlin Freelance", "9.50"),
        ("Wiener Energie Leads", "Österreich", "19.50"),
        ("Alpen Solar", "Tirol", None),
        ("Amsterdam Energy Leads", "Nederland", "17.25"),
        ("Rotterdam Zon", "Zuid-Holland", None),
        ("Athens Solar", "Ellada", "11.00"),
        ("Thessaloniki Leads", "Makedonia", "10.50"),
    ]),
    ("de", "Insurance DACH", "24.00", "EUR", [
        ("Versicherungsbüro Köln", "Kfz", None),
        ("Versicherungsbüro Köln", "Haftpflicht", "21.00"),
        ("Leads de Paris", "France B2B", "26.00"),
        ("Lyon Assurances", "Auvergne-Rhône-Alpes", None),
        ("Claire Martin", "Freelance FR", "14.00"),
        ("London Lead Exchange", "UK resale", "22.50"),
        ("Manchester Mortgages", "UK North", "20.00"),
        ("Chicago Insurance Partners", "US resale", "27.00"),
    ]),
    ("us", "Mortgage US", "32.00", "USD", [
        ("Brooklyn Home Loans", "New York", None),
        ("Austin Mortgage Co", "Texas", "29.50"),
        ("Denver Lending", "Colorado", None),
        ("Miami Refinance", "Florida refinance", "35.00"),
        ("Seattle Homes Finance", "Washington", "31.00"),
        ("Toronto Mortgage Leads", "Canada", "28.00"),
    ]),
]  # fmt: skip

CANCEL_RATE = 0.02
SUPPLIED_SHARE = 0.3


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo login."

    def add_arguments(self, parser):
        parser.add_argument("--deliveries", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--without-history",
            action="store_true",
            help="Partners and deliveries only: no invoices issued for the months before last.",
        )

    def handle(self, *args, deliveries, seed, without_history, **options):
        with scopes_disabled():
            user = ensure_login()
            account = Account.objects.filter(name=ACCOUNT_NAME).first()
            if account is None:
                with transaction.atomic():
                    account = Account.objects.create(name=ACCOUNT_NAME)
                    counts = load(account, deliveries, random.Random(seed), not without_history)
                self.stdout.write(
                    f"Demo data loaded: {counts['partners']} partners, {counts['profiles']} "
                    f"profiles, {counts['deliveries']} deliveries "
                    f"({counts['cancelled']} cancelled), {counts['invoices']} documents "
                    "issued in the two months before last."
                )
            else:
                self.stdout.write("Demo data already loaded.")
            Membership.objects.get_or_create(
                user=user, account=account, defaults={"role": Membership.OWNER}
            )
        self.stdout.write(
            self.style.SUCCESS(f"Log in at http://127.0.0.1:8000/ as {EMAIL} / {PASSWORD}")
        )
        self.stdout.write(
            f"The partner portal, as {PORTAL_PARTNER}: http://127.0.0.1:8000/partner/ as "
            f"{PARTNER_EMAIL} / {PASSWORD}"
        )


def ensure_login() -> User:
    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        return User.objects.create_user(EMAIL, PASSWORD, first_name="Demo", last_name="Operator")
    if not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return user


def load(account: Account, deliveries: int, rng: random.Random, history: bool = True) -> dict:
    entities = {
        # Set up as an operator would have it: its settings looked at and saved.
        "de": Entity.objects.create(account=account, settings_saved_at=timezone.now(), **GMBH),
        "us": Entity.objects.create(account=account, settings_saved_at=timezone.now(), **INC),
    }
    partners = {}
    now = timezone.now()
    for key, name, legal, street, postcode, city, country, vat_id, terms, extra in PARTNERS:
        fields = dict(extra)
        if fields.get("vies_status"):
            fields["vies_checked_at"] = now - timedelta(days=3)
        partners[name] = Partner.objects.create(
            entity=entities[key],
            name=name,
            legal_name=legal,
            street=street,
            postcode=postcode,
            city=city,
            country=country,
            vat_id=vat_id,
            email=f"billing@{name.split()[0].lower()}.example.com",
            payment_terms_days=terms,
            **fields,
        )
    suppliers = [partners["Jonas Weber"]]
    agreed = {"Jonas Weber"}
    prices = {"Jonas Weber": Decimal("2.50")}
    for name, legal, street, postcode, city, country, vat_id, extra, accepted, price in SUPPLIERS:
        if extra.get("vies_status"):
            extra = {**extra, "vies_checked_at": now - timedelta(days=3)}
        supplier = Partner.objects.create(
            entity=entities["de"], name=name, legal_name=legal, street=street,
            postcode=postcode, city=city, country=country, vat_id=vat_id,
            email=f"payouts@{name.split()[0].lower()}.example.com", **SUPPLIER, **extra,
        )  # fmt: skip
        partners[name] = supplier
        suppliers.append(supplier)
        prices[name] = Decimal(price)
        if accepted:
            agreed.add(name)
    for supplier in suppliers:
        if supplier.name in agreed:
            SelfBillingAgreement.objects.create(
                partner=supplier, terms_version=TERMS_VERSION, accepted_at=now - timedelta(days=90),
                accepted_by=supplier.email, recorded_by="partner portal",
            )  # fmt: skip
    for partner in partners.values():
        refresh_invoicing_problems(partner)
    portal_user = PartnerUser(partner=partners[PORTAL_PARTNER], email=PARTNER_EMAIL)
    portal_user.set_password(PASSWORD)
    portal_user.save()
    assignments = []
    for key, profile_name, base_price, currency, rows in PROFILES:
        profile = DistributionProfile.objects.create(
            entity=entities[key], name=profile_name, base_price=Decimal(base_price),
            currency=currency,
        )  # fmt: skip
        for partner_name, name, override in rows:
            assignments.append(
                Assignment.objects.create(
                    profile=profile,
                    partner=partners[partner_name],
                    name=name,
                    price_override=Decimal(override) if override else None,
                )
            )
    cancelled = create_deliveries(assignments, deliveries, rng, suppliers, prices)
    issued = sum(bill_history(entity, rng) for entity in entities.values()) if history else 0
    demo_returns(partners[PORTAL_PARTNER])
    return {
        "partners": len(partners),
        "profiles": len(PROFILES),
        "deliveries": deliveries,
        "cancelled": cancelled,
        "invoices": issued,
    }


def demo_returns(partner: Partner) -> None:
    """A return policy on the portal partner's profiles and a few of its recent leads
    returned: two accepted, one rejected, the rest waiting in the queue."""
    profiles = DistributionProfile.objects.filter(assignments__partner=partner).distinct()
    for profile in profiles:
        ReturnPolicy.objects.create(profile=profile, window_days=14, cap_count=25,
                                    pass_back=True)  # fmt: skip
    recent = (
        DistributionTransaction.objects.filter(
            partner=partner,
            status=DistributionTransaction.DELIVERED,
            delivered_at__gte=timezone.now() - timedelta(days=10),
        )
        .select_related("lead")
        .order_by("-delivered_at")[:5]
    )
    ids = [txn.lead.external_id for txn in recent]
    if len(ids) < 5:  # a small demo (the tests') has no leads to spare
        return
    by = f"partner portal: {PARTNER_EMAIL}"
    returns = submit_returns(partner, ids[:3], "Wrong contact details", "", by).returns
    returns += submit_returns(
        partner, ids[3:], "Duplicate", "Same person as last week.", by
    ).returns
    decide_returns(returns[:2], True, "", BY)
    decide_returns(returns[2:3], False, "We reached the customer on this number.", BY)


def create_deliveries(assignments, count: int, rng: random.Random, suppliers, prices) -> int:
    """`count` deliveries from the first day of the month three months ago until now, at
    office hours in each Entity's time zone, about 2 % of them cancelled. About a third of
    the German Entity's leads come from its suppliers, at their purchase price."""
    now = timezone.now()
    first = (now.replace(day=1) - timedelta(days=62)).replace(day=1).date()
    days = (now.date() - first).days
    weights = [rng.uniform(0.5, 3.0) for _ in assignments]
    cancelled = 0
    reasons = [r for r, _ in DistributionTransaction.MANUAL_CANCEL_REASONS]
    for batch_start in range(0, count, BATCH):
        size = min(BATCH, count - batch_start)
        picks = rng.choices(assignments, weights, k=size)
        leads, rows = [], []
        for n, assignment in enumerate(picks, start=batch_start):
            entity = assignment.profile.entity
            moment = datetime.combine(
                first + timedelta(days=rng.randrange(days + 1)),
                time(rng.randrange(8, 20), rng.randrange(60), rng.randrange(60)),
                ZoneInfo(entity.time_zone),
            )
            moment = min(moment, now - timedelta(minutes=1))
            lead = Lead(entity=entity, external_id=f"L-{n + 1:07d}", created_at=moment)
            if entity.country == "DE" and rng.random() < SUPPLIED_SHARE:
                lead.supplier = rng.choice(suppliers)
                lead.purchase_price = prices[lead.supplier.name]
                lead.purchase_currency = "EUR"
            is_cancelled = rng.random() < CANCEL_RATE
            cancelled += is_cancelled
            leads.append(lead)
            rows.append(
                DistributionTransaction(
                    entity=entity,
                    partner_id=assignment.partner_id,
                    assignment=assignment,
                    lead=lead,
                    price=assignment.price,
                    currency=assignment.profile.currency,
                    delivered_at=moment,
                    status="cancelled" if is_cancelled else "delivered",
                    cancelled_at=moment + timedelta(days=1) if is_cancelled else None,
                    cancel_reason=rng.choice(reasons) if is_cancelled else "",
                )
            )
        Lead.objects.bulk_create(leads)
        DistributionTransaction.objects.bulk_create(rows)
    return cancelled


# History: the two months before last, billed as an operator would have


BY = "demo data"


def bill_history(entity: Entity, rng: random.Random) -> int:
    """Bill the two months before last month, each on the first of the month after it, and
    let the partners pay: returns the number of documents issued."""
    today = local_today(entity)
    last_month = previous_month(today)
    before = previous_month(last_month[0])
    issued = 0
    for (start, end), scenario in [(previous_month(before[0]), _settled), (before, _recent)]:
        issued_on = end + timedelta(days=1)
        invoices = _bill(entity, start, end, issued_on)
        issued += len(invoices) + scenario(entity, start, end, invoices, today, rng)
    mark_overdue_invoices(entity)
    return issued


def _bill(entity: Entity, start: date, end: date, issued_on: date) -> list[Invoice]:
    """Drafts for the period, finalized on `issued_on`; one that cannot be finalized (a
    supplier that has not accepted the self-billing terms) stays a draft, as it would."""
    generate_drafts(entity, start, end, by=BY)
    generate_payout_drafts(entity, start, end, by=BY)
    finalized = []
    drafts = Invoice.objects.filter(
        entity=entity, status=Invoice.DRAFT, period_start=start, corrects__isnull=True
    )
    for draft in drafts.order_by("self_billed", "partner__name", "pk"):
        if not missing_invoicing_details(draft):
            finalized.append(finalize_invoice(draft, BY, issued_on))
    return finalized


def _settled(entity, start, end, invoices, today, rng) -> int:
    """The older month: everything paid, payouts too; one invoice voided and issued again,
    and for one paid invoice a late cancellation's credit note, refunded."""
    buyers = [invoice for invoice in invoices if not invoice.self_billed]
    issued = 0
    if len(buyers) >= 2:
        voided = buyers[0]
        void_invoice(
            voided, "Billed to the wrong company address; issued again.", BY,
            voided.issue_date + timedelta(days=5),
        )  # fmt: skip
        reissued = _bill(entity, start, end, voided.issue_date + timedelta(days=5))
        invoices = [i for i in invoices if i.pk != voided.pk] + reissued
        issued = 1 + len(reissued)
    for invoice in invoices:
        _pay(invoice, invoice.open_balance, rng.randint(4, 8), today)
    if len(buyers) >= 2:
        corrected = buyers[1]
        credit_note = None
        late = DistributionTransaction.objects.filter(
            invoice_id=corrected.pk, status=DistributionTransaction.DELIVERED
        ).order_by("pk")[:2]
        for txn in late:
            credit_note = cancel_delivery(txn, DistributionTransaction.REASON_REFUNDED, BY)
        if credit_note is not None:
            credit_note = finalize_invoice(
                credit_note, BY, corrected.issue_date + timedelta(days=9)
            )
            _pay(credit_note, credit_note.total, 5, today)  # refunded
            issued += 1
    return issued


def _recent(entity, start, end, invoices, today, rng) -> int:
    """The month before last: the payouts made, one invoice partly paid, the last two still
    open (overdue once their terms run out), the others paid."""
    buyers = [invoice for invoice in invoices if not invoice.self_billed]
    for invoice in invoices:
        if invoice.self_billed:
            _pay(invoice, invoice.open_balance, invoice.partner.payment_terms_days, today)
    if buyers:
        _pay(buyers[0], (buyers[0].total * Decimal("0.4")).quantize(Decimal("0.01")), 10, today)
    for invoice in buyers[1:-2]:
        _pay(invoice, invoice.open_balance, rng.randint(3, 14), today)
    return 0


def _pay(invoice: Invoice, amount: Decimal, after_days: int, today: date) -> None:
    invoice.refresh_from_db()
    amount = min(amount, invoice.open_balance)
    if amount > 0:
        paid_on = min(invoice.issue_date + timedelta(days=after_days), today - timedelta(days=1))
        record_payment(invoice, amount, max(paid_on, invoice.issue_date), BY)
