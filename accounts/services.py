"""Writes on users: the deployment's super admin, stepping down from it, proven addresses, deletion."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django_mongodb_backend import transaction

from accounts.exceptions import LastSuperAdmin
from accounts.models import User, UserRole


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
    if user.role == UserRole.SUPER_ADMIN and user.is_active:
        user.role = UserRole.USER
        user_leave_super_admin(user=user)
    with transaction.atomic():
        user.delete()


def user_leave_super_admin(*, user: User) -> None:
    """Store the role and active flag of `user` that end their being an active SUPER_ADMIN.

    Raise LastSuperAdmin, and leave them a SUPER_ADMIN, when no other active one would remain.
    Two super admins demoting each other at once each see the other still in place, so the
    write is conditional and checked after it: a write that left none is undone.
    """
    user.apply_role_flags()
    new_state = {
        "role": user.role,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }
    active_super_admins = User.objects.filter(role=UserRole.SUPER_ADMIN, is_active=True)
    if not active_super_admins.filter(pk=user.pk).update(**new_state, updated_at=timezone.now()):
        return
    if not active_super_admins.exists():
        user.role, user.is_active = UserRole.SUPER_ADMIN, True
        user.apply_role_flags()
        User.objects.filter(pk=user.pk, **new_state).update(
            role=user.role, is_active=True, is_staff=user.is_staff, is_superuser=user.is_superuser
        )
        raise LastSuperAdmin()


def user_prove_address(*, user: User, email: str) -> bool:
    """Record that the holder of `user`'s account reads mail at `email` (a password reset link).

    The account's own address (`User.email`, its primary) proven for the first time hands the
    account to its owner: until then anyone could have opened the account with it and added
    their own addresses and sign-ins. It becomes verified; the other addresses and the linked
    provider accounts go (the other sessions end with the password the reset changed). Return
    True then. A second address only becomes verified: proving it takes nothing from the
    account, nor does it change the address the account signs in with. Return False then, and
    when the address was already verified or is no longer the account's.
    """
    email = email.lower()
    address = EmailAddress.objects.filter(user=user, email=email).first()
    if address is not None and address.verified:
        return False
    if email != user.email.lower():
        if address is None:
            return False
        address.verified = True
        address.save(update_fields=["verified"])
        email_address_release_unproven_claims(email=email)
        return False
    with transaction.atomic():
        address = address or EmailAddress(user=user, email=email)
        EmailAddress.objects.filter(user=user).exclude(pk=address.pk).delete()
        address.verified = address.primary = True
        address.save()
        SocialAccount.objects.filter(user=user).delete()
    email_address_release_unproven_claims(email=email)
    return True


def email_address_release_unproven_claims(*, email: str) -> int:
    """Remove the unverified second addresses `email` on every account, now that its owner proved it.

    Anyone may add any free address to their account unverified; such a claim must not keep the
    owner out. An account's primary address stays: its holder resets the password by email.
    Return how many were removed.
    """
    claims = EmailAddress.objects.filter(email=email.lower(), verified=False, primary=False)
    return claims.delete()[0]
