from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserRole(models.TextChoices):
    USER = "USER", "User"
    ADMIN = "ADMIN", "Admin"
    SUPER_ADMIN = "SUPER_ADMIN", "Super admin"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("role", UserRole.USER)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["role"] = UserRole.SUPER_ADMIN
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A shopper or staff member; `role` decides what they may do (accounts/roles.py).

    Linked OAuth accounts (Google, GitHub) are allauth's SocialAccount rows, deleted with the user.
    """

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    image = models.URLField("avatar URL", max_length=500, blank=True)
    role = models.CharField(max_length=20, choices=UserRole.choices, default=UserRole.USER, db_index=True)
    # Unique where set; the backend's partial index lets many users have none.
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, editable=False)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    # The roles that open the admin; is_staff and is_superuser follow the role (apply_role_flags).
    STAFF_ROLES = frozenset({UserRole.ADMIN, UserRole.SUPER_ADMIN})

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        ordering = ["-date_joined"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.apply_role_flags()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def apply_role_flags(self):
        """Set is_staff and is_superuser from the role, the source of truth for staff access."""
        self.is_staff = self.role in self.STAFF_ROLES
        self.is_superuser = self.role == UserRole.SUPER_ADMIN

    def get_full_name(self):
        return self.name or self.email

    def get_short_name(self):
        return self.name.split(" ")[0] if self.name else self.email

    def get_initials(self):
        """Return up to two initials, shown in place of a missing avatar."""
        words = self.name.split() or [self.email]
        return "".join(word[0] for word in words[:2]).upper()
