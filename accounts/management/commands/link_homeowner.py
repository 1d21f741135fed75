from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import LinkError, homeowner_link


class Command(BaseCommand):
    help = "Create or update a homeowner account linked to a Podero user of PODERO_ORG_ID (or --org-id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--podero-user-id", required=True, help="the Podero user's UUID")
        parser.add_argument("--org-id", help="the Podero organization UUID (default: PODERO_ORG_ID)")
        parser.add_argument("--password", help="set this password (required to create a new account)")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user, created = homeowner_link(
                email=opts["email"], podero_user_id=opts["podero_user_id"], org_id=opts["org_id"],
                password=opts["password"], first_name=opts["first_name"], last_name=opts["last_name"],
            )
        except LinkError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {user.email}, linked to Podero user {user.podero.podero_user_id} (org {user.podero.org_id})."
        ))
