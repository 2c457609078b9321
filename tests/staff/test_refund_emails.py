"""The customer hears of each refund Stripe settles: one email when it succeeds, one if it fails after all."""

from django.core import mail

from orders.models import Refund, RefundStatus
from tests.staff.helpers import paid_order
from tests.staff.test_refunds import REFUND_FAILS_CARD, submit_refund


def refund_emails(order):
    return [
        message for message in mail.outbox if order.number in message.subject and "refund" in message.subject
    ]


def test_each_refund_that_succeeds_is_emailed_once_to_the_customer(staff_client, stripe_sim):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2)
    neighbour = paid_order(stripe_sim, unit_amount=900, quantity=1)
    mail.outbox.clear()

    submit_refund(staff_client, order, "10.00")
    stripe_sim.wait_for_deliveries()
    submit_refund(staff_client, order, "26.00")
    stripe_sim.wait_for_deliveries()

    assert Refund.objects.filter(status=RefundStatus.SUCCEEDED).count() == 2
    emails = refund_emails(order)
    assert [email.subject for email in emails] == [
        f"Your Northwind Goods order {order.number} has been refunded"
    ] * 2
    assert [email.to for email in emails] == [[order.customer_email]] * 2
    assert "We have refunded $10.00" in emails[0].body
    assert "We have refunded $26.00" in emails[1].body
    assert "$26.00" in emails[1].alternatives[0].content
    assert not refund_emails(neighbour)


def test_a_refund_that_fails_after_all_is_emailed_as_failed(staff_client, stripe_sim):
    order = paid_order(stripe_sim, unit_amount=1800, quantity=2, card=REFUND_FAILS_CARD)
    mail.outbox.clear()

    submit_refund(staff_client, order, "10.00")
    stripe_sim.wait_for_deliveries()

    [email] = refund_emails(order)
    assert email.subject == f"Your Northwind Goods order {order.number} could not be refunded"
    assert "The refund of $10.00" in email.body
    assert "could not be completed" in email.body
