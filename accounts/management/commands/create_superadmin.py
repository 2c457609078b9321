"""Create or promote a SUPER_ADMIN, interactively or from arguments and environment for deployments."""

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import User, UserRole
from accounts.services import user_make_super_admin

EMAIL_VARIABLE = "DJANGO_SUPERADMIN_EMAIL"
PASSWORD_VARIABLE = "DJANGO_SUPERADMIN_PASSWORD"  # noqa: S105 (a variable's name, not a password)


class Command(BaseCommand):
    help = (
        "Create a SUPER_ADMIN, or promote the user with that email. Email and password come from "
        f"--email/--password, then {EMAIL_VARIABLE}/{PASSWORD_VARIABLE}, then prompts. An existing "
        "user keeps their password unless one is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help=f"Email address (default: ${EMAIL_VARIABLE}).")
        parser.add_argument("--password", help=f"Password (default: ${PASSWORD_VARIABLE}).")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Never prompt; fail when something is missing.",
        )

    def handle(self, *args, email=None, password=None, interactive=True, **options):
        email = email or os.environ.get(EMAIL_VARIABLE, "")
        password = password or os.environ.get(PASSWORD_VARIABLE) or None
        # An address given up front is a decision (a deployment runs this on every release);
        # one typed at the prompt gets a confirmation before an existing user is promoted.
        confirm_promotion = interactive and not email
        if not email:
            if not interactive:
                raise CommandError(f"Give --email or set {EMAIL_VARIABLE}.")
            email = self._prompt_email()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not a valid email address.") from error

        existing = User.objects.filter(email__iexact=email.strip()).first()
        if existing is None and password is None:
            if not interactive:
                raise CommandError(
                    f"A new super admin needs a password: give --password or set {PASSWORD_VARIABLE}."
                )
            password = self._prompt_password(email)
        if existing is not None and confirm_promotion and not self._confirm_promotion(existing):
            raise CommandError("Nothing changed.")

        try:
            user, created = user_make_super_admin(email=email, password=password)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from error
        verb = "Created" if created else "Promoted"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.email} as {UserRole.SUPER_ADMIN.label}."))

    def _prompt_email(self):
        while True:
            email = input("Email address: ").strip()
            try:
                validate_email(email)
            except ValidationError:
                self.stderr.write("Enter a valid email address.")
            else:
                return email

    def _prompt_password(self, email):
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The two passwords differ.")
                continue
            try:
                validate_password(password, user=User(email=email))
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return password

    def _confirm_promotion(self, user):
        if user.role == UserRole.SUPER_ADMIN and user.is_active:
            return True
        answer = input(
            f"{user.email} exists with role {user.get_role_display()}. Make them a super admin? [y/N] "
        )
        return answer.strip().lower() in {"y", "yes"}
