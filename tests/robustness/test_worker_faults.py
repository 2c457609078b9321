"""The worker's faults made to happen for real: the mail server down, a worker SIGKILLed mid-task,
the database restarted while events wait, several worker processes racing for the same tasks.

The shop and its workers run as child processes with the MongoDB task backend, as deployed.
"""

import time

import pytest
import stripe as stripe_sdk
from django.db import connection
from django.tasks import TaskResultStatus

from accounts.models import User
from jobs.models import OutgoingEmail, TaskRecord
from orders.emails import order_confirmation_send, order_shipped_email_send
from orders.models import Order, OrderStatus, OrderStatusChange, PaymentStatus
from payments.models import WebhookEvent
from tests import factories
from tests.conftest import STRIPE_TEST_API_KEY
from tests.jobs import tasks as test_tasks
from tests.jobs.conftest import MONGODB_BACKEND
from tests.payments.conftest import WEBHOOK_SECRET, event_payloads, signature_headers
from tests.robustness.servers import (
    HangingStripe,
    MailServer,
    StallingStripe,
    closed_port_url,
    free_port,
    manage,
    shop_environment,
    wait_for,
)
from tests.robustness.test_faults import OwnDatabase, healthy_within, signed_event

WEBHOOK = "/payments/webhook/"
# Short enough for a test; the production defaults are a minute, ten seconds and five minutes.
TASK_SETTINGS = {
    "TASKS_BACKEND": MONGODB_BACKEND,
    "TASKS_LEASE_SECONDS": "2",
    "TASKS_RETRY_BASE_SECONDS": "0.2",
    "TASKS_MAX_ATTEMPTS": "50",
    "WEBHOOK_PROCESSING_LEASE_SECONDS": "3",
}


@pytest.fixture
def mongodb_tasks(settings):
    """Enqueue into MongoDB from this process too, as the shop does in production."""
    settings.TASKS = {"default": {"BACKEND": MONGODB_BACKEND, "OPTIONS": {"MAX_ATTEMPTS": 50}}}


def this_database(**overrides) -> dict:
    return shop_environment(
        mongodb_uri=connection.settings_dict["HOST"],
        database_name=connection.settings_dict["NAME"],
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        **TASK_SETTINGS,
        **overrides,
    )


# --- The mail server is down -----------------------------------------------------------------


def mail_server_back_until_the_outbox_is_sent(mail) -> None:
    """Start the mail server, wait until no email is left unsent, then stop it."""
    mail.start()
    try:
        wait_for(lambda: not OutgoingEmail.objects.unsent().exists(), seconds=30)
        # Long enough for any retry of a task that already sent its email.
        time.sleep(1.5)
    finally:
        mail.stop()


def test_emails_queued_while_the_mail_server_is_down_are_each_sent_once_when_it_is_back(
    db, mongodb_tasks, spawn_worker
):
    paid = factories.OrderFactory(paid=True, customer_email="ada@example.com")
    shipped = factories.OrderFactory(paid=True, customer_email="grace@example.com")
    mail = MailServer(port=free_port())
    worker = spawn_worker(this_database(EMAIL_URL=f"smtp://127.0.0.1:{mail.port}"))

    order_confirmation_send(order_id=paid.pk)
    order_confirmation_send(order_id=shipped.pk)
    order_shipped_email_send(order_id=shipped.pk)

    # The worker tries, fails (connection refused) and tries again later; nothing is lost.
    wait_for(lambda: TaskRecord.objects.filter(attempts__gte=2).count() == 3, seconds=20)
    assert OutgoingEmail.objects.unsent().count() == 3
    assert all("ConnectionRefusedError" in task.last_error for task in TaskRecord.objects.all())

    mail_server_back_until_the_outbox_is_sent(mail)

    received = sorted((message["To"], message["Subject"]) for message in mail.messages)
    assert received == sorted(
        [
            ("ada@example.com", f"Your Northwind Goods order {paid.number} is confirmed"),
            ("grace@example.com", f"Your Northwind Goods order {shipped.number} is confirmed"),
            ("grace@example.com", f"Your Northwind Goods order {shipped.number} has shipped"),
        ]
    )
    assert {task.status for task in TaskRecord.objects.all()} == {TaskResultStatus.SUCCESSFUL}
    assert worker.process.poll() is None


def test_a_purchase_paid_while_the_mail_server_is_down_gets_its_confirmation_once_when_it_is_back(
    quiet_sim, client, guest_client, mug, stripe_api, serve_shop, spawn_worker
):
    guest_client((mug, 1))
    session_id = client.post("/payments/checkout/")["Location"].rsplit("/", 1)[1]
    quiet_sim.pay(session_id, email="ada@example.com")
    [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]
    mail = MailServer(port=free_port())
    env = this_database(STRIPE_API_BASE=quiet_sim.url, EMAIL_URL=f"smtp://127.0.0.1:{mail.port}")
    shop = serve_shop(env)
    spawn_worker(env)

    assert shop.post(WEBHOOK, payload, signature_headers(payload)).json() == {"message": "Received."}

    wait_for(lambda: Order.objects.get().status == OrderStatus.PROCESSING, seconds=30)
    delivery = TaskRecord.objects.filter(task_path="jobs.tasks.email_deliver")
    wait_for(lambda: delivery.filter(attempts__gte=2).exists(), seconds=20)
    assert OutgoingEmail.objects.unsent().count() == 1
    # Stripe delivers the event again meanwhile: nothing more is queued.
    assert shop.post(WEBHOOK, payload, signature_headers(payload)).json() == {"message": "Already processed."}

    mail_server_back_until_the_outbox_is_sent(mail)

    number = Order.objects.get().number
    assert [(m["To"], m["Subject"]) for m in mail.messages] == [
        ("ada@example.com", f"Your Northwind Goods order {number} is confirmed")
    ]
    assert delivery.get().status == TaskResultStatus.SUCCESSFUL


# --- A worker is killed mid-task -----------------------------------------------------------------


@pytest.fixture
def mug(db):
    return factories.PriceFactory(product__name="Stoneware mug")


def test_a_worker_killed_while_processing_an_event_leaves_it_to_another_after_its_lease_with_one_effect(
    quiet_sim, client, guest_client, mug, stripe_api, serve_shop, spawn_worker
):
    guest_client((mug, 1))
    session_id = client.post("/payments/checkout/")["Location"].rsplit("/", 1)[1]
    quiet_sim.pay(session_id)
    [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]
    # The web process answers without calling Stripe: a closed port shows it.
    shop = serve_shop(this_database(STRIPE_API_BASE=closed_port_url()))

    started = time.monotonic()
    answer = shop.post(WEBHOOK, payload, signature_headers(payload))
    assert (answer.status_code, answer.json()) == (200, {"message": "Received."})
    assert time.monotonic() - started < 2
    assert not WebhookEvent.objects.get().processed

    with HangingStripe() as stripe_stuck:
        # The handler asks Stripe about the session and waits: the task is mid-way.
        doomed = spawn_worker(this_database(STRIPE_API_BASE=stripe_stuck.url, STRIPE_TIMEOUT_SECONDS="60"))
        assert stripe_stuck.called.wait(20), doomed.log()
        doomed.kill()
    task = TaskRecord.objects.get(task_path="payments.tasks.webhook_event_handle")
    assert (task.status, task.attempts) == (TaskResultStatus.RUNNING, 1)
    assert Order.objects.get().status == OrderStatus.PENDING
    # The event's own claim also outlives the dead worker, until it lapses (3 s here).
    spawn_worker(this_database(STRIPE_API_BASE=quiet_sim.url))

    wait_for(lambda: WebhookEvent.objects.get().processed, seconds=30)
    order = Order.objects.get()
    assert (order.status, order.payment_status) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
    assert OrderStatusChange.objects.filter(order=order).count() == 2
    # The worker writes the task's own record just after the effect.
    wait_for(lambda: TaskRecord.objects.get(pk=task.pk).status == TaskResultStatus.SUCCESSFUL, seconds=10)
    task.refresh_from_db()
    assert len(set(task.worker_ids)) == 2
    wait_for(lambda: OutgoingEmail.objects.filter(sent_at__isnull=False).count() == 1, seconds=20)
    again = shop.post(WEBHOOK, payload, signature_headers(payload))
    assert (again.status_code, again.json()) == (200, {"message": "Already processed."})
    assert OutgoingEmail.objects.count() == 1


def test_two_worker_processes_never_run_one_task_twice(db, mongodb_tasks, spawn_worker):
    results = [test_tasks.note.enqueue(label=f"task-{n}") for n in range(60)]

    for _ in range(2):
        spawn_worker(this_database())

    wait_for(lambda: TaskRecord.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 60, seconds=60)
    assert sorted(effect["label"] for effect in test_tasks.effects()) == sorted(
        f"task-{n}" for n in range(60)
    )
    records = TaskRecord.objects.all()
    assert all(record.attempts == 1 for record in records)
    # Both took part.
    assert len({record.worker_ids[0].rsplit(":", 1)[0] for record in records}) == 2
    assert {result.id for result in results} == {str(record.pk) for record in records}


# --- The database restarts -------------------------------------------------------------------------


def test_an_event_received_before_the_database_restarts_is_processed_once_after(
    tmp_path, serve_shop, spawn_worker, quiet_stripe_simulator
):
    # The handler reads the customer from Stripe: one Stripe deleted.
    stripe = stripe_sdk.StripeClient(STRIPE_TEST_API_KEY, base_addresses={"api": quiet_stripe_simulator.url})
    gone = stripe.v1.customers.create({"email": "restart@example.com"}).id
    stripe.v1.customers.delete(gone)
    database = OwnDatabase(tmp_path / "db.sqlite3")
    try:
        env = shop_environment(
            mongodb_uri=database.uri,
            database_name=database.name,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=quiet_stripe_simulator.url,
            **TASK_SETTINGS,
        )
        manage(
            "shell",
            "-c",
            "from django.core.management import call_command; call_command('migrate', verbosity=0); "
            "from tests.factories import UserFactory; "
            f"UserFactory(email='restart@example.com', stripe_customer_id='{gone}'); "
            "UserFactory(email='neighbour@example.com', stripe_customer_id='cus_neighbour')",
            env=env,
        )
        shop = serve_shop(env)
        payload, headers = signed_event(
            "customer.deleted", {"id": gone, "object": "customer", "deleted": True}
        )
        assert shop.post(WEBHOOK, payload, headers).json() == {"message": "Received."}

        database.stop()
        worker = spawn_worker(env)
        # The worker keeps trying while the database is down, and does not exit.
        time.sleep(3)
        assert worker.process.poll() is None
        database.start_again()
        assert healthy_within(shop, seconds=10)

        users = database.collection(User)
        wait_for(
            lambda: users.find_one({"email": "restart@example.com"})["stripe_customer_id"] is None, seconds=30
        )
        # The task's own record is written just after its effect: wait for it rather than race it.
        tasks = database.collection(TaskRecord)
        wait_for(lambda: tasks.find_one({})["status"] == TaskResultStatus.SUCCESSFUL, seconds=10)
        [event] = database.collection(WebhookEvent).find()
        assert (event["processed"], event["attempts"]) == (True, 1)
        [task] = tasks.find()
        assert task["attempts"] == 1
        assert users.find_one({"email": "neighbour@example.com"})["stripe_customer_id"] == "cus_neighbour"
    finally:
        database.client.close()
        if database.process.poll() is None:
            database.stop()


# A checkout started in the shop's own database, on the simulator: its number and session id.
CHECKOUT_SCRIPT = """
from tests import factories
from payments.checkout import checkout_session_create
item = factories.CartItemFactory(price__product__name="Stoneware mug", quantity=1)
neighbour = factories.OrderFactory(paid=True, customer_email="neighbour@example.com")
started = checkout_session_create(
    cart=item.cart, user=None, success_url="http://shop.test/s?session_id={CHECKOUT_SESSION_ID}",
    cancel_url="http://shop.test/c",
)
print(started.order.number, started.order.stripe_checkout_session_id, neighbour.number)
"""


def test_the_database_restarting_while_the_worker_processes_an_event_leaves_it_processed_once_after(
    tmp_path, quiet_sim, stripe_api, serve_shop, spawn_worker
):
    database = OwnDatabase(tmp_path / "db.sqlite3")
    try:
        env = shop_environment(
            mongodb_uri=database.uri,
            database_name=database.name,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=quiet_sim.url,
            **TASK_SETTINGS,
        )
        manage("migrate", "--no-input", env=env)
        number, session_id, neighbour = (
            manage("shell", "-c", CHECKOUT_SCRIPT, env=env).splitlines()[-1].split()
        )
        quiet_sim.pay(session_id)
        [payload] = [p for p in event_payloads(stripe_api(), "checkout.session.completed") if session_id in p]
        shop = serve_shop({**env, "STRIPE_API_BASE": closed_port_url()})
        assert shop.post(WEBHOOK, payload, signature_headers(payload)).json() == {"message": "Received."}
        orders = database.collection(Order)

        with StallingStripe(upstream=quiet_sim.url) as network:
            # The handler asks Stripe about the session: the worker is mid-way through the event.
            worker = spawn_worker({**env, "STRIPE_API_BASE": network.url, "STRIPE_TIMEOUT_SECONDS": "30"})
            assert network.called.wait(20), worker.log()
            database.stop()
            # Stripe answers; every write the handler then makes fails.
            network.released.set()
            time.sleep(3)
            assert worker.process.poll() is None
            database.start_again()
            assert healthy_within(shop, seconds=10)
            assert orders.find_one({"number": number})["status"] == OrderStatus.PENDING
            # The failed attempt's claim on the event holds until it lapses (3 s here).
            wait_for(lambda: database.collection(WebhookEvent).find_one()["processed"], seconds=40)

        order = orders.find_one({"number": number})
        assert (order["status"], order["payment_status"]) == (OrderStatus.PROCESSING, PaymentStatus.PAID)
        assert database.collection(OrderStatusChange).count_documents({"order_id": order["_id"]}) == 2
        wait_for(
            lambda: database.collection(OutgoingEmail).count_documents({"sent_at": {"$ne": None}}), seconds=20
        )
        assert database.collection(OutgoingEmail).count_documents({}) == 1
        assert orders.find_one({"number": neighbour})["status"] == OrderStatus.PROCESSING
        again = shop.post(WEBHOOK, payload, signature_headers(payload))
        assert again.json() == {"message": "Already processed."}
    finally:
        database.client.close()
        if database.process.poll() is None:
            database.stop()
