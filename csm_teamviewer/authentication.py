"""Who acts through the REST API: a CSM login maps to a Django user (an agent), provisioned on
first use. The login arrives in a header on every call, so it is checked here before any lookup.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Field

from .errors import Invalid, PermissionDenied

# Django's username field is 150 characters; CSM logins are shorter than that.
MAX_LOGIN_LENGTH = 150


def csm_login(value: str) -> str:
    """The CSM login ``value`` names, stripped; ``Invalid`` unless 1-150 characters without spaces."""
    login = (value or "").strip()
    if not login or len(login) > MAX_LOGIN_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in login):
        raise Invalid("X-CSM-User must name the CSM login (1-150 characters, no spaces).")
    return login


def agent_for_csm_login(*, login: str) -> User:
    """The Django user for a CSM login, created (without a usable password) the first time."""
    login = csm_login(login)
    return agent_admit(_find(login) or agent_provision(login=login))


def agent_admit(agent: User) -> User:
    """The agent, unless deactivated (``PermissionDenied``)."""
    if not agent.is_active:
        raise PermissionDenied("This agent is deactivated.")
    return agent


def username_column() -> str:
    """The user table's column holding the login, for statements written out by hand."""
    user_model = get_user_model()
    return cast(str, cast(Field, user_model._meta.get_field(_username_field())).column)


def _username_field() -> str:
    return get_user_model().USERNAME_FIELD


def _find(login: str) -> User | None:
    # A written-out statement costs half the CPU of the ORM's compiling the same one.
    user_model = get_user_model()
    quote = connection.ops.quote_name
    sql = f"SELECT * FROM {quote(user_model._meta.db_table)} WHERE {quote(username_column())} = %s"  # noqa: S608 - the login is a parameter
    return next(iter(user_model.objects.raw(sql, [login])), None)


def agent_provision(*, login: str) -> User:
    """A new agent for a checked login (no usable password), or the one a concurrent call made."""
    user_model = get_user_model()
    try:
        with transaction.atomic():
            user = user_model(**{_username_field(): login})
            user.set_unusable_password()
            user.save()
            return user
    except IntegrityError:
        # Another request provisioned the same agent at the same moment.
        return user_model.objects.get(**{_username_field(): login})
