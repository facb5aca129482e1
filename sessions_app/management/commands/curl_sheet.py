from django.core.management.base import BaseCommand, CommandError

from sessions_app.curl_sheet import GUIDES, guide_with_sheet, render


class Command(BaseCommand):
    help = (
        "Rewrite the curl sheet in docs/csm/guide.en.md and guide.ja.md from the OpenAPI document's "
        "examples. With --check, only say whether both are up to date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit non-zero when a guide differs.")

    def handle(self, *args, check: bool, **options) -> None:
        stale = []
        for language, path in GUIDES.items():
            current = path.read_text(encoding="utf-8")
            updated = guide_with_sheet(current, render(language))
            if updated == current:
                continue
            stale.append(str(path))
            if not check:
                path.write_text(updated, encoding="utf-8")
        if check and stale:
            raise CommandError(f"out of date: {', '.join(stale)}: run python manage.py curl_sheet")
        self.stdout.write("Up to date." if not stale else f"Wrote {', '.join(stale)}.")
