"""People: one user model for clients and staff, and invitations into the practice."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.accounts.names import name_key
from alliance.localtime import is_time_zone


class Role(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Practice admin")


STAFF_ROLES = frozenset({Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN})
CLINICIAN_ROLES = frozenset({Role.THERAPIST, Role.SUPERVISOR})


# What each role is, defined once, here, beneath every app (accounts sits under care).
# What a person may do with a client's record is decided in care/access.py, which asks
# these; tests/test_access_in_one_place.py allows role comparisons only here and there.
def is_client_role(role: str) -> bool:
    """For a role chosen before there is an account (an invitation, a new account)."""
    return role == Role.CLIENT


def is_staff_role(role: str) -> bool:
    return role in STAFF_ROLES


def same_person(person_id: int | None, other_id: int | None) -> bool:
    """Whether two ids name the same person (an author, a sender, the one signed in)."""
    return person_id is not None and person_id == other_id


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


def validate_time_zone(name: str) -> None:
    if name and not is_time_zone(name):
        raise ValidationError(_("Choose a time zone from the list."), code="time_zone")


class UserQuerySet(models.QuerySet["User"]):
    """Every way of writing many people at once keeps ``name_key`` with the name, as
    ``User.save`` does for one."""

    def update(self, **kwargs: Any) -> int:
        if "preferred_name" in kwargs and "name_key" not in kwargs:  # bulk_update gives both
            name = kwargs["preferred_name"]
            if not isinstance(name, str):
                raise TypeError("preferred_name is updated with a name, not an expression.")
            kwargs["name_key"] = name_key(name)
        return super().update(**kwargs)

    def bulk_create(self, objs: Iterable[User], *args: Any, **kwargs: Any) -> list[User]:
        people = list(objs)
        for person in people:
            person.name_key = name_key(person.preferred_name)
        return super().bulk_create(people, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable[User], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        people, names = list(objs), list(fields)
        if "preferred_name" in names:
            for person in people:
                person.name_key = name_key(person.preferred_name)
            names.append("name_key")
        return super().bulk_update(people, names, batch_size=batch_size)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("preferred_name", "Admin")
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_name = models.CharField(
        _("preferred name"),
        max_length=100,
        help_text=_("The name you would like us to use when we address you."),
    )
    # ``name_key(preferred_name)``, kept with every change of the name (``save`` and the
    # bulk writes of ``UserQuerySet``), so that the database can find the people of a
    # caseload who share a name without reading every name into Python. A change to
    # ``name_key`` itself needs a data migration that works every key out again.
    name_key = models.TextField(editable=False, default="")
    pronouns = models.CharField(
        _("pronouns"),
        max_length=40,
        blank=True,
        help_text=_("For example she/her, he/him or they/them. Leave empty if you prefer."),
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Where the person is, for crisis resources; empty means the practice's country.
    country = models.CharField(_("country"), max_length=2, blank=True)
    # The IANA zone every date and time is shown in; empty means the practice's
    # (ALLIANCE_TIME_ZONE), so a practice that moves takes its people with it.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    reminders_enabled = models.BooleanField(_("reminders"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["preferred_name"]

    class Meta:
        ordering = ["preferred_name", "email"]
        # The caseload and the client record look up the namesakes of a few clients.
        indexes = [models.Index(fields=["name_key"], name="user_name_key")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=[lang.value for lang in Language]),
                name="user_language_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = name_key(self.preferred_name)
        fields = kwargs.get("update_fields")
        if fields is not None and "preferred_name" in fields:
            kwargs["update_fields"] = [*fields, "name_key"]
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        """The name to address this person by, with pronouns where they gave them."""
        if self.pronouns:
            return f"{self.preferred_name} ({self.pronouns})"
        return self.preferred_name

    @property
    def is_staff(self) -> bool:
        # Django's own admin site is not used; staff status is not a separate flag.
        return False

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_therapist(self) -> bool:
        return self.role == Role.THERAPIST

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_clinician(self) -> bool:
        """A therapist or a supervisor."""
        return self.role in CLINICIAN_ROLES

    @property
    def is_staff_member(self) -> bool:
        """A therapist, a supervisor or the practice admin (not Django's ``is_staff``)."""
        return self.role in STAFF_ROLES

    def get_full_name(self) -> str:
        return self.preferred_name

    def get_short_name(self) -> str:
        return self.preferred_name


def hash_token(token: str) -> str:
    """Only this digest of an invitation token is stored; the token itself is e-mailed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Invitation(models.Model):
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="invitations_sent")
    # For a client invitation: who will supervise the episode of care it opens.
    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.role})"

    def is_pending(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
