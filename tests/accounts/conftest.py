"""A household: the owner (persona 1, holding the Podero link), a member and a viewer they invited,
another household's owner (persona 2), and devices of each kind in the fake Podero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests import payloads
from tests.conftest import PASSWORD


@dataclass
class Household:
    owner: Any
    member: Any
    viewer: Any
    other: Any
    fake: Any
    hp: dict[str, Any]
    ev: dict[str, Any]
    inverter: dict[str, Any]
    other_ev: dict[str, Any]

    def person(self, name: str) -> Any:
        return None if name == "anonymous" else getattr(self, name)


def make_user(email: str):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user(email=email, password=PASSWORD, first_name=email.split("@")[0].capitalize())
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Four accounts per test: hash their passwords quickly (the hasher is not what is tested here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def household(fake_podero, homeowner, other_homeowner) -> Household:
    from accounts.models import HouseholdMember, Role

    uid = homeowner.podero.podero_user_id
    hp = fake_podero.add(uid, "heat-pumps", payloads.heat_pump())
    ev = fake_podero.add(uid, "electric-vehicles", payloads.electric_vehicle())
    inv = fake_podero.add(uid, "inverters", payloads.inverter())
    other_ev = fake_podero.add(other_homeowner.podero.podero_user_id, "electric-vehicles",
                               payloads.electric_vehicle())
    member = make_user("member@example.com")
    viewer = make_user("viewer@example.com")
    HouseholdMember.objects.create(link=homeowner.podero, user=member, role=Role.MEMBER, invited_by=homeowner)
    HouseholdMember.objects.create(link=homeowner.podero, user=viewer, role=Role.VIEWER, invited_by=homeowner)
    return Household(owner=homeowner, member=member, viewer=viewer, other=other_homeowner, fake=fake_podero,
                     hp=hp, ev=ev, inverter=inv, other_ev=other_ev)


@pytest.fixture
def german_catalogue(settings, tmp_path) -> None:
    """The committed German .po, compiled into a temporary locale folder (no .mo is committed)."""
    import polib
    from django.conf import settings as django_settings

    source = django_settings.BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"
    target = tmp_path / "locale" / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    polib.pofile(str(source)).save_as_mofile(str(target / "django.mo"))
    settings.LOCALE_PATHS = [tmp_path / "locale"]  # Django's setting_changed resets the loaded catalogues
