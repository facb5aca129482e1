"""Agents: a CSM login maps to a Django user, provisioned on first use."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction

from .errors import Invalid, PermissionDenied

# Django's username field is 150 characters; CSM logins are shorter than that.
MAX_LOGIN_LENGTH = 150


def agent_for_csm_login(*, login: str) -> AbstractBaseUser:
    """The Django user for a CSM login, created (without a usable password) the first time."""
    login = (login or "").strip()
    if not login or len(login) > MAX_LOGIN_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in login):
        raise Invalid("X-CSM-User must name the CSM login (1-150 characters, no spaces).")
    User = get_user_model()
    user = _find(User, login)
    if user is None:
        user = _provision(User, login)
    if not user.is_active:
        raise PermissionDenied("This agent is deactivated.")
    return user


def _find(User: type, login: str) -> AbstractBaseUser | None:
    # Every API call names its agent: a written-out statement costs half the CPU of the ORM's
    # compiling the same one.
    quote = connection.ops.quote_name
    column = User._meta.get_field(User.USERNAME_FIELD).column
    sql = f"SELECT * FROM {quote(User._meta.db_table)} WHERE {quote(column)} = %s"  # noqa: S608 - the login is a parameter
    return next(iter(User.objects.raw(sql, [login])), None)


def _provision(User: type, login: str) -> AbstractBaseUser:
    try:
        with transaction.atomic():
            user = User(username=login)
            user.set_unusable_password()
            user.save()
            return user
    except IntegrityError:
        # Another request provisioned the same agent at the same moment.
        return User.objects.get(username=login)
