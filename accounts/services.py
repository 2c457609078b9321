"""Writes on users: the deployment's super admin, and deletion."""

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django_mongodb_backend import transaction

from accounts.models import User, UserRole
from accounts.roles import check_super_admin_remains


def user_make_super_admin(*, email: str, password: str | None = None) -> tuple[User, bool]:
    """Create a SUPER_ADMIN with `email`, or promote the user who has it; return (user, created).

    An existing user keeps their password unless `password` is given. The address counts as
    verified: whoever runs this command controls the deployment.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if password is not None:
        validate_password(password, user=user or User(email=email))
    with transaction.atomic():
        created = user is None
        if created:
            user = User.objects.create_user(email=email, password=password, role=UserRole.SUPER_ADMIN)
        else:
            user.role = UserRole.SUPER_ADMIN
            user.is_active = True
            if password is not None:
                user.set_password(password)
            user.save()
        address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if address is None:
            address = EmailAddress(user=user, email=user.email)
        address.verified = True
        address.primary = (
            not EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).exists()
        )
        address.save()
    return user, created


def user_delete(*, user: User) -> None:
    """Delete `user` with their linked accounts, tokens, email addresses and carts; keep their orders.

    Orders keep the customer's email (Order.user is SET_NULL). Raise LastSuperAdmin for the
    last active SUPER_ADMIN.
    """
    check_super_admin_remains(user=user)
    with transaction.atomic():
        user.delete()
