"""Staff see the background work: failed tasks with their error and a Retry, unsent emails, and
both counted on the dashboard."""

from django.tasks import TaskResultStatus
from django.urls import reverse

from jobs.models import OutgoingEmail, TaskRecord
from jobs.worker import Worker
from orders.models import Order
from shop.mail import mail_send
from tests import factories
from tests.jobs import tasks


def failed_task(backend, label):
    result = tasks.fail.enqueue(label=label)
    TaskRecord.objects.filter(pk=result.id).update(max_attempts=1)
    Worker(periodic=False).run_one()
    return TaskRecord.objects.get(pk=result.id)


def test_the_dashboard_counts_failed_tasks_and_unsent_emails_with_links(client, backend):
    failed_task(backend, "boom")
    tasks.note.enqueue(label="waiting")
    mail_send(
        template="orders/email/order_shipped",
        context={"order": Order(number="ORD-0123456789AB")},
        subject="Queued",
        recipient="a@example.com",
    )
    client.force_login(factories.AdminFactory())

    page = client.get(reverse("admin:index"))

    dashboard = page.context["dashboard"]
    assert dashboard["failed_tasks"]["count"] == 1
    assert dashboard["unsent_emails"]["count"] == 1
    assert "Failed background tasks" in page.text
    assert "Emails not sent yet" in page.text
    listed = client.get(dashboard["failed_tasks"]["url"])
    assert list(listed.context["cl"].result_list) == list(TaskRecord.objects.failed())
    unsent = client.get(dashboard["unsent_emails"]["url"])
    assert [email.subject for email in unsent.context["cl"].result_list] == ["Queued"]


def test_a_failed_task_shows_its_error_and_retry_queues_it_again_alone(client, backend):
    failed = failed_task(backend, "boom")
    done = tasks.note.enqueue(label="done")
    Worker(periodic=False).run_one()
    client.force_login(factories.AdminFactory())

    page = client.get(reverse("admin:jobs_taskrecord_change", args=[failed.pk]))
    assert "ValueError: boom failed" in page.text

    answer = client.post(
        reverse("admin:jobs_taskrecord_changelist"),
        {"action": "retry", "_selected_action": [str(failed.pk), done.id]},
        follow=True,
    )

    messages = [str(message) for message in answer.context["messages"]]
    assert messages == [
        "Queued 1 failed task(s) again.",
        "Left 1 task(s) alone: only failed ones are retried.",
    ]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, len(failed.errors)) == (TaskResultStatus.READY, 0, 1)
    assert TaskRecord.objects.get(pk=done.id).status == TaskResultStatus.SUCCESSFUL
    assert Worker(periodic=False).run_one() is True


def test_a_shopper_sees_no_task(client, backend):
    failed_task(backend, "boom")
    client.force_login(factories.UserFactory())

    assert client.get(reverse("admin:jobs_taskrecord_changelist")).status_code == 302
    assert not OutgoingEmail.objects.exists()


def test_the_list_shows_the_error_of_a_task_not_done_and_not_of_one_that_succeeded_on_a_retry(
    client, backend
):
    recovered = failed_task(backend, "recovered")
    failed_task(backend, "broken")
    # The cause is fixed (as a mail server back up): staff retry it, and it succeeds.
    TaskRecord.objects.filter(pk=recovered.pk).update(task_path="tests.jobs.tasks.note")
    client.force_login(factories.AdminFactory())
    client.post(
        reverse("admin:jobs_taskrecord_changelist"),
        {"action": "retry", "_selected_action": [str(recovered.pk)]},
    )
    assert Worker(periodic=False).run_one() is True
    assert TaskRecord.objects.get(pk=recovered.pk).status == TaskResultStatus.SUCCESSFUL

    listed = client.get(reverse("admin:jobs_taskrecord_changelist")).text

    assert "ValueError: broken failed" in listed
    assert "recovered failed" not in listed
    history = client.get(reverse("admin:jobs_taskrecord_change", args=[recovered.pk])).text
    assert "ValueError: recovered failed" in history
