"""The French platform lifecycle maps onto what a dispatch and an invoice already record."""

from invoicing.channels.lifecycle import DISPATCH, EFFECTS, PAID, SELLER_SENDS_WHEN_PAID
from invoicing.models import Dispatch


def test_the_four_mandatory_statuses_are_the_reforms():
    mandatory = {status.label_fr for status in EFFECTS.values() if status.mandatory}
    assert mandatory == {"Déposée", "Rejetée", "Refusée", "Encaissée"}


def test_deposited_is_sent_and_made_available_is_delivered():
    assert (EFFECTS["200"].effect, EFFECTS["200"].status) == (DISPATCH, Dispatch.SENT)
    assert (EFFECTS["203"].effect, EFFECTS["203"].status) == (DISPATCH, Dispatch.DELIVERED)


def test_refused_by_the_buyer_and_rejected_by_the_platform_are_rejections():
    for code in ("210", "213"):
        assert (EFFECTS[code].effect, EFFECTS[code].status) == (DISPATCH, Dispatch.REJECTED)


def test_cashed_is_the_payment_the_seller_reports():
    assert EFFECTS[SELLER_SENDS_WHEN_PAID].effect == PAID
    assert EFFECTS[SELLER_SENDS_WHEN_PAID].label_fr == "Encaissée"


def test_every_dispatch_effect_is_a_dispatch_status():
    known = {code for code, _label in Dispatch.STATUS_CHOICES}
    for status in EFFECTS.values():
        assert (status.effect == DISPATCH) == (status.status in known)
