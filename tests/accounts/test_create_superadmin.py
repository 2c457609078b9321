"""`manage.py create_superadmin`: interactive, from arguments, or from the environment."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import User, UserRole
from tests import factories

pytestmark = pytest.mark.django_db

STRONG = "deploy-Passphrase-2026!"


def run(*args, **options):
    out = StringIO()
    call_command("create_superadmin", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_creates_a_super_admin_from_arguments():
    output = run("--email", "Boss@Example.com", "--password", STRONG, "--no-input")

    user = User.objects.get(email="boss@example.com")
    assert (user.role, user.is_staff, user.is_superuser) == (UserRole.SUPER_ADMIN, True, True)
    assert user.check_password(STRONG)
    assert EmailAddress.objects.filter(
        user=user, email="boss@example.com", verified=True, primary=True
    ).exists()
    assert "Created boss@example.com" in output


def test_creates_a_super_admin_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("DJANGO_SUPERADMIN_PASSWORD", STRONG)

    run("--no-input")

    assert User.objects.get(email="ops@example.com").check_password(STRONG)


def test_promotes_an_existing_user_given_up_front_without_asking_and_keeps_their_password():
    user = factories.UserFactory(email="grace@example.com")

    output = run("--email", "grace@example.com")

    user.refresh_from_db()
    assert (user.role, user.is_superuser) == (UserRole.SUPER_ADMIN, True)
    assert user.check_password(factories.PASSWORD)
    assert "Promoted grace@example.com" in output
    assert User.objects.count() == 1


def test_running_it_again_changes_nothing_else():
    run("--email", "ops@example.com", "--password", STRONG, "--no-input")
    run("--email", "ops@example.com", "--password", STRONG, "--no-input")

    assert User.objects.count() == 1
    assert EmailAddress.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-input"], "Give --email or set DJANGO_SUPERADMIN_EMAIL."),
        (["--email", "ops@example.com", "--no-input"], "A new super admin needs a password"),
        (["--email", "not-an-email", "--password", STRONG, "--no-input"], "is not a valid email address"),
        (
            ["--email", "ops@example.com", "--password", "password", "--no-input"],
            "This password is too common.",
        ),
    ],
)
def test_refuses_missing_or_bad_input_and_creates_nothing(monkeypatch, args, message):
    monkeypatch.delenv("DJANGO_SUPERADMIN_EMAIL", raising=False)
    monkeypatch.delenv("DJANGO_SUPERADMIN_PASSWORD", raising=False)

    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not User.objects.exists()


def test_interactive_prompts_for_email_and_a_confirmed_password(monkeypatch):
    answers = iter(["ops@example.com"])
    passwords = iter(["password", "password", STRONG, "typo", STRONG, STRONG])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(passwords))
    monkeypatch.delenv("DJANGO_SUPERADMIN_EMAIL", raising=False)
    monkeypatch.delenv("DJANGO_SUPERADMIN_PASSWORD", raising=False)

    run()

    user = User.objects.get(email="ops@example.com")
    assert user.role == UserRole.SUPER_ADMIN
    assert user.check_password(STRONG)


@pytest.mark.parametrize(("answer", "role"), [("n", UserRole.USER), ("y", UserRole.SUPER_ADMIN)])
def test_a_typed_address_of_an_existing_user_is_promoted_only_after_a_yes(monkeypatch, answer, role):
    user = factories.UserFactory(email="grace@example.com")
    answers = iter(["grace@example.com", answer])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.delenv("DJANGO_SUPERADMIN_EMAIL", raising=False)

    if answer == "n":
        with pytest.raises(CommandError, match=r"Nothing changed\."):
            run()
    else:
        run()

    user.refresh_from_db()
    assert user.role == role
