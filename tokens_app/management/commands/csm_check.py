from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokens_app.csm import csm_client


class Command(BaseCommand):
    help = (
        "Sign in to CSM as the integration account, find the incident object, the journal "
        "relationship, type and fields (and one incident if given), and print what was found or "
        "exactly what is wrong. Exits non-zero on a problem. Never prints the password or a token."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("incident_id", nargs="?", help="an incident's public ID or RecID")

    def handle(self, *args: Any, incident_id: str | None = None, **options: Any) -> None:
        report = csm_client().check(incident_id)
        mode = " (the built-in CSM sandbox)" if report.sandbox else ""
        self.stdout.write(f"CSM REST API: {report.api_url}{mode}, as {report.username}")
        for step in report.steps:
            mark = self.style.SUCCESS("ok  ") if step.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {step.name}: {step.detail}")
        if not report.ok:
            raise CommandError(report.problem)
        self.stdout.write(self.style.SUCCESS("CSM is ready for journal notes."))
