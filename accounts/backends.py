"""Sign-in backends: Django's and allauth's, changed in one thing only. Loading the signed-in person for
a request (`get_user`, once per request) joins their own Podero link into the same query, because every
homeowner page needs it next (`accounts.services.household_access`): one database round trip fewer per
page and poll. Authentication itself is theirs, unchanged.

The settings name these classes; sessions made under the stock paths are moved over by migration
accounts 0009, so nobody is signed out by the change.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

# The stock backend paths and ours (migration 0009 rewrites stored sessions from the one to the other).
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": "accounts.backends.AuthenticationBackend",
}


class _LinkJoined:
    def get_user(self, user_id: Any) -> Any:
        users = get_user_model()._default_manager.select_related("podero")
        try:
            user = users.get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_LinkJoined, DjangoModelBackend):
    """Django's ModelBackend (the admin's and the tests' `force_login`)."""


class AuthenticationBackend(_LinkJoined, AllauthBackend):
    """allauth's backend (signing in by email address)."""
