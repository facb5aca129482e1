from django.core.management.base import BaseCommand, CommandError

from sessions_app.api_schema import DOCUMENT_PATH, openapi_document


class Command(BaseCommand):
    help = (
        "Write the OpenAPI document to docs/openapi.yaml, exactly as /api/schema/ serves it (in English, "
        "with the default PUBLIC_BASE_URL). With --check, only say whether the file is up to date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit non-zero when the file differs.")

    def handle(self, *args, check: bool, **options) -> None:
        document = openapi_document()
        current = DOCUMENT_PATH.read_text(encoding="utf-8") if DOCUMENT_PATH.exists() else None
        if check:
            if current != document:
                raise CommandError(f"{DOCUMENT_PATH} is out of date: run python manage.py openapi_export")
            self.stdout.write(f"{DOCUMENT_PATH} is up to date.")
            return
        DOCUMENT_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT_PATH.write_text(document, encoding="utf-8")
        self.stdout.write(f"Wrote {DOCUMENT_PATH}.")
