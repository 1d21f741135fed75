"""Idempotent demo data: the simulator's organization, client, user and devices, plus two logins."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from accounts.services import homeowner_link

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-energy-2026"  # noqa: S105 - a published demo login for the local simulator
STAFF_EMAIL = "staff@example.com"
STAFF_PASSWORD = "staff-energy-2026"  # noqa: S105


class Command(BaseCommand):
    help = "Create (or update) the simulator's demo data, a demo homeowner and a staff login. Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset-devices", action="store_true", help="restore the demo devices' state")

    def handle(self, *args: Any, **opts: Any) -> None:
        from simulator.demo import ensure_demo  # the one place outside simulator/ that imports it

        demo = ensure_demo(reset=opts["reset_devices"])
        homeowner_link(email=DEMO_EMAIL, podero_user_id=demo.user_id, org_id=demo.org_id,
                       password=DEMO_PASSWORD, first_name="Anna", last_name="Huber")
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(email=STAFF_EMAIL, password=STAFF_PASSWORD, first_name="Sam")
        else:
            staff.is_staff = staff.is_superuser = True
            if not staff.check_password(STAFF_PASSWORD):  # a new hash would sign staff out of every session
                staff.set_password(STAFF_PASSWORD)
            staff.save()
        EmailAddress.objects.update_or_create(user=staff, email=STAFF_EMAIL,
                                              defaults={"verified": True, "primary": True})
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Homeowner: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Partner staff (admin at /admin/): {STAFF_EMAIL} / {STAFF_PASSWORD}")
        self.stdout.write(f"  Podero API: {settings.PODERO_BASE_URL} (org {demo.org_id})")
