"""Many deliveries at once: the API's batch endpoint and the Logs page's CSV import.

Each delivery gets the checks and the price record_delivery gives it: the assignment is the
Entity's and active, its partner's deliveries are not paused, the time is acceptable, and a
lead delivered through an assignment before gives back that delivery. Deliveries through
assignments without volume tiers (nearly all) are written set-based on PostgreSQL: the
batch is copied (COPY) into a temporary table, then one statement adds the new leads and one
the deliveries. Tier prices depend on the order of each month's deliveries, so deliveries
through tiered assignments, and every delivery on SQLite, go through record_delivery one by
one, in the order given."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entities.models import Entity

from . import tallies
from .models import Assignment, DeliveryHold, DeliveryImport, PriceTier
from .services import (
    DeliveryError,
    delivery_time_problem,
    lead_id_problem,
    parse_delivery_time,
    record_delivery,
    refusal,
)

MAX_ITEMS = 10_000


@dataclass
class Item:
    assignment_id: int
    lead: str
    delivered_at: datetime | None = None


@dataclass
class Outcome:
    """What became of one item: "created", "existing" (delivered before), or "refused"."""

    status: str
    delivery_id: int | None = None
    price: Decimal | None = None
    currency: str = ""
    problem: str = ""


def record_deliveries(entity: Entity, items: list[Item]) -> list[Outcome]:
    """Record the items, each on its own: one refused stops no other. The outcomes are in
    the items' order."""
    outcomes: list[Outcome | None] = [None] * len(items)
    ids = {item.assignment_id for item in items}
    assignments = {
        a.pk: a
        for a in Assignment.objects.select_related("profile__entity").filter(
            pk__in=ids, profile__entity=entity
        )
    }
    tiered = _tiered(assignments.values())
    holds = {
        hold.partner_id: hold
        for hold in DeliveryHold.objects.filter(
            partner_id__in={a.partner_id for a in assignments.values()}, ended_at=None
        )
    }
    plain, one_by_one = [], []
    for index, item in enumerate(items):
        assignment = assignments.get(item.assignment_id)
        if problem := _problem(entity, item, assignment, holds):
            outcomes[index] = Outcome("refused", problem=problem)
        elif assignment.pk in tiered or connection.vendor != "postgresql":
            one_by_one.append(index)
        else:
            plain.append(index)
    with transaction.atomic():
        tallies.note_backdated(
            entity, [items[i].delivered_at for i in plain if items[i].delivered_at]
        )
        if plain:
            _copy_in(entity, items, plain, outcomes)
        for index in one_by_one:
            item = items[index]
            try:
                with transaction.atomic():
                    txn, created = record_delivery(
                        assignments[item.assignment_id], item.lead, item.delivered_at
                    )
            except DeliveryError as error:
                outcomes[index] = Outcome("refused", problem=str(error))
            else:
                outcomes[index] = Outcome(
                    "created" if created else "existing", txn.pk, txn.price, txn.currency
                )
    return outcomes


def _problem(entity: Entity, item: Item, assignment, holds: dict) -> str:
    if assignment is None:
        return _("No assignment {id} in {entity}.").format(id=item.assignment_id, entity=entity)
    if problem := refusal(assignment, holds.get(assignment.partner_id)):
        return problem
    if item.delivered_at is not None:
        return delivery_time_problem(item.delivered_at)
    return ""


def _tiered(assignments) -> set[int]:
    """The assignments priced by volume tiers, their own or their profile's."""
    assignments = list(assignments)
    tiers = PriceTier.objects.filter(
        Q(assignment__in=assignments) | Q(profile__in={a.profile_id for a in assignments})
    ).values_list("assignment_id", "profile_id")
    by_assignment = {a for a, _p in tiers if a}
    by_profile = {p for _a, p in tiers if p}
    return {a.pk for a in assignments if a.pk in by_assignment or a.profile_id in by_profile}


# Dropped at commit; a second batch in the same transaction (an import) empties it.
STAGE = """
CREATE TEMPORARY TABLE IF NOT EXISTS delivery_batch (
    position integer, assignment_id bigint, external_id text, delivered_at timestamptz
) ON COMMIT DROP;
TRUNCATE delivery_batch
"""

ADD_LEADS = """
INSERT INTO distribution_lead (entity_id, external_id, created_at)
SELECT DISTINCT %(entity)s, external_id, %(now)s::timestamptz FROM delivery_batch
ON CONFLICT (entity_id, external_id) DO NOTHING
"""

# The checks of record_plain_delivery once more, in the statement that writes, so that an
# assignment paused or a partner put on hold meanwhile takes nothing: such items come back
# without a row. A lead given twice for one assignment is delivered once, to its first item.
#
# No join between two of the statement's CTEs: their row counts are estimates from the
# joins (on tables not yet analyzed, as a new operator's are, two rows for ten thousand),
# and the planner then compares every item with every added row (100 million comparisons,
# 9 s a batch). So each new delivery gets its id from the sequence beforehand, the earlier
# delivery of a lead is looked up row by row (LATERAL ... LIMIT 1, an index probe), and only
# the number of rows added comes back from the insert: fewer than planned means another
# transaction delivered some of these leads meanwhile, which _settle_conflicts() sorts out.
ADD_DELIVERIES = """
WITH items AS MATERIALIZED (
    SELECT *, CASE WHEN first AND earlier_id IS NULL
        THEN nextval('distribution_distributiontransaction_id_seq') END AS new_id
    FROM (
        SELECT b.position, b.assignment_id, l.id AS lead_id, a.partner_id,
            COALESCE(a.price_override, p.base_price) AS price, p.currency,
            COALESCE(b.delivered_at, %(now)s::timestamptz) AS delivered_at,
            b.position = MIN(b.position) OVER (PARTITION BY l.id, b.assignment_id) AS first,
            e.id AS earlier_id, e.price AS earlier_price, e.currency AS earlier_currency
        FROM delivery_batch b
        JOIN distribution_lead l ON l.entity_id = %(entity)s AND l.external_id = b.external_id
        JOIN distribution_assignment a ON a.id = b.assignment_id AND a.is_active
        JOIN distribution_distributionprofile p
            ON p.id = a.profile_id AND p.entity_id = %(entity)s
        LEFT JOIN LATERAL (
            SELECT t.id, t.price, t.currency FROM distribution_distributiontransaction t
            WHERE t.lead_id = l.id AND t.assignment_id = b.assignment_id LIMIT 1
        ) e ON true
        WHERE NOT EXISTS (SELECT 1 FROM distribution_deliveryhold h
                          WHERE h.partner_id = a.partner_id AND h.ended_at IS NULL)
    ) matched
), added AS (
    INSERT INTO distribution_distributiontransaction (id, entity_id, partner_id,
        assignment_id, lead_id, price, currency, delivered_at, status, cancel_reason)
    SELECT new_id, %(entity)s, partner_id, assignment_id, lead_id, price, currency,
        delivered_at, 'delivered', ''
    FROM items WHERE new_id IS NOT NULL
    ON CONFLICT (lead_id, assignment_id) DO NOTHING
    RETURNING 1
)
SELECT position, lead_id, assignment_id,
    COALESCE(earlier_id, MAX(new_id) OVER (PARTITION BY lead_id, assignment_id)),
    new_id IS NOT NULL, COALESCE(earlier_price, price), COALESCE(earlier_currency, currency),
    (SELECT count(*) FROM added)
FROM items
"""


def _copy_in(entity: Entity, items: list[Item], indexes: list[int], outcomes: list) -> None:
    params = {"entity": entity.pk, "now": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute(STAGE)
        with cursor.cursor.copy(
            "COPY delivery_batch (position, assignment_id, external_id, delivered_at) FROM STDIN"
        ) as copy:
            for index in indexes:
                item = items[index]
                copy.write_row((index, item.assignment_id, item.lead, item.delivered_at))
        cursor.execute(ADD_LEADS, params)
        cursor.execute(ADD_DELIVERIES, params)
        rows = cursor.fetchall()
        planned = sum(created for *_, created, _price, _currency, _added in rows)
        if rows and rows[0][-1] < planned:
            rows = _settle_conflicts(cursor, rows)
        for position, _lead, _assignment, delivery_id, created, price, currency, _ in rows:
            status = "created" if created else "existing"
            outcomes[position] = Outcome(status, delivery_id, price, currency)
    for index in indexes:
        if outcomes[index] is None:  # paused or put on hold while the batch was written
            outcomes[index] = Outcome(
                "refused", problem=_("This assignment takes no deliveries at the moment.")
            )


def _settle_conflicts(cursor, rows: list) -> list:
    """The items whose planned delivery was not added, because another transaction delivered
    the lead through the assignment meanwhile: that delivery is theirs, as existing."""
    cursor.execute(
        "SELECT id FROM distribution_distributiontransaction WHERE id = ANY(%s)",
        [[row[3] for row in rows if row[4]]],
    )
    added = {delivery_id for (delivery_id,) in cursor.fetchall()}
    lost = {(row[1], row[2]) for row in rows if row[4] and row[3] not in added}
    if not lost:
        return rows
    cursor.execute(
        "SELECT lead_id, assignment_id, id, price, currency"
        " FROM distribution_distributiontransaction"
        " WHERE (lead_id, assignment_id) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))",
        [[lead for lead, _ in lost], [assignment for _, assignment in lost]],
    )
    theirs = {(lead, assignment): rest for lead, assignment, *rest in cursor.fetchall()}
    settled = []
    for row in rows:
        key = (row[1], row[2])
        if key in lost:
            delivery_id, price, currency = theirs[key]
            row = (row[0], *key, delivery_id, False, price, currency, row[7])
        settled.append(row)
    return settled


# The columns of an import file, in any order; delivered_at may be left out.
CSV_COLUMNS = ("assignment", "lead", "delivered_at")


class UnreadableFile(ValueError):
    """A file that cannot be imported at all (its header, its encoding)."""


def read_csv(content: bytes) -> tuple[list[str], csv.reader]:
    """The file's columns and a reader of its lines: UTF-8 (with or without a byte-order
    mark), separated by commas or semicolons, a header line first."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(_("Save the file as UTF-8 text (CSV).")) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(rows, [])]
    missing = [name for name in ("assignment", "lead") if name not in header]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise UnreadableFile(
            _("The first line names the columns: assignment, lead and, if you like, "
              "delivered_at (found: {found}).").format(found=", ".join(header) or "-")
        )  # fmt: skip
    return header, rows


def count_lines(content: bytes) -> int:
    header, rows = read_csv(content)
    return sum(1 for row in rows if any(cell.strip() for cell in row))


def parse_line(header: list[str], row: list[str]) -> tuple[Item | None, str]:
    """One line of an import file as an Item, or why it cannot be one."""
    values = dict(zip(header, (cell.strip() for cell in row), strict=False))
    if len(row) > len(header):
        return None, _("More values than columns.")
    assignment, lead = values.get("assignment", ""), values.get("lead", "")
    if not (assignment.isascii() and assignment.isdigit()) or len(assignment) > 18:
        return None, _("Give the assignment's id as a number.")
    if problem := lead_id_problem(lead):
        return None, problem
    delivered_at = None
    if raw := values.get("delivered_at", ""):
        delivered_at, problem = parse_delivery_time(raw)
        if problem:
            return None, problem
    return Item(int(assignment), lead, delivered_at), ""


def import_file(delivery_import: DeliveryImport) -> None:
    """Record the file's deliveries, MAX_ITEMS at a time, saving the progress after each
    batch: a failure keeps what was recorded, and the page shows how far it got."""
    header, rows = read_csv(bytes(delivery_import.content))
    entity = delivery_import.entity
    items, numbers = [], []

    def record():
        outcomes = record_deliveries(entity, items) if items else []
        for number, outcome in zip(numbers, outcomes, strict=True):
            if outcome.status == "refused":
                _refused(delivery_import, number, outcome.problem)
            else:
                setattr(delivery_import, outcome.status,
                        getattr(delivery_import, outcome.status) + 1)  # fmt: skip
        delivery_import.done += len(items)
        delivery_import.save(update_fields=["done", "created", "existing", "refused", "problems"])
        items.clear()
        numbers.clear()

    for number, row in enumerate(rows, start=2):  # line 1 is the header
        if not any(cell.strip() for cell in row):
            continue
        item, problem = parse_line(header, row)
        if item is None:
            _refused(delivery_import, number, problem)
            delivery_import.done += 1
        else:
            items.append(item)
            numbers.append(number)
        if len(items) == MAX_ITEMS:
            record()
    record()


def _refused(delivery_import: DeliveryImport, line: int, problem: str) -> None:
    delivery_import.refused += 1
    if len(delivery_import.problems) < DeliveryImport.PROBLEMS_KEPT:
        delivery_import.problems.append({"line": line, "problem": problem})
