"""The French e-invoicing lifecycle ("cycle de vie") a platform (plateforme agréée, PA)
reports an invoice's progress in, mapped onto what the product already records: a
Dispatch's status, the invoice's payment, or only an entry in the audit trail. A PA
channel (AFNOR XP Z12-013) reads the code a platform sends and applies `EFFECTS[code]`;
it needs no new model.

Sources (read through the project's search tool on 2026-12-03):
- DGFiP / AIFE, "Dossier de spécifications externes de la facturation électronique",
  v2.3 (31 July 2023), §2.8.2 (cycle de vie): the statuses and which four are mandatory
  (Déposée, Rejetée, Refusée, Encaissée).
- The codes as the platforms carry them in the CDV message (ResponseCode /
  ProcessConditionCode): Invopop, "France PA status" (docs.invopop.com/guides/fr-pa-status:
  "210 Refusée … 212 Encaissée … must be forwarded to the PPF; 200 Déposée and 213 Rejetée
  are emitted automatically"), and Vertex's and Billit's tables of 200–213.
Each code's direction: most come from the platforms or the buyer to the seller; 212
(Encaissée) is the seller's own, sent when it has been paid, and so for a self-billed
invoice it comes to the Entity from the supplier.
"""

from dataclasses import dataclass

from ..models import Dispatch

# What a status does here.
DISPATCH = "dispatch"  # the dispatch moves to `status` (sent, delivered, rejected)
PAID = "paid"  # the invoice is paid (a payment recorded); outbound: we send it when paid
EVENT = "event"  # recorded in the invoice's history only


@dataclass(frozen=True)
class Status:
    code: str
    label_fr: str
    label_en: str
    mandatory: bool
    effect: str
    status: str = ""  # the Dispatch status, for DISPATCH


STATUSES = [
    Status("200", "Déposée", "Submitted", True, DISPATCH, Dispatch.SENT),
    Status("201", "Émise par la plateforme", "Issued by the platform", False, DISPATCH,
           Dispatch.SENT),
    Status("202", "Reçue par la plateforme", "Received by the platform", False, DISPATCH,
           Dispatch.DELIVERED),
    Status("203", "Mise à disposition", "Made available", False, DISPATCH, Dispatch.DELIVERED),
    Status("204", "Prise en charge", "Taken over", False, EVENT),
    Status("205", "Approuvée", "Approved", False, EVENT),
    Status("206", "Approuvée partiellement", "Partially approved", False, EVENT),
    Status("207", "En litige", "In dispute", False, EVENT),
    Status("208", "Suspendue", "Suspended", False, EVENT),
    Status("209", "Complétée", "Completed", False, EVENT),
    Status("210", "Refusée", "Refused by the buyer", True, DISPATCH, Dispatch.REJECTED),
    Status("211", "Paiement transmis", "Payment transmitted", False, EVENT),
    Status("212", "Encaissée", "Paid", True, PAID),
    Status("213", "Rejetée", "Rejected by the platform", True, DISPATCH, Dispatch.REJECTED),
]  # fmt: skip

EFFECTS: dict[str, Status] = {status.code: status for status in STATUSES}

# The mandatory status the seller itself sends: when its invoice is paid.
SELLER_SENDS_WHEN_PAID = "212"
