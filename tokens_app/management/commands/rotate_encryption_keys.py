from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from csm_teamviewer.crypto import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key in ENCRYPTION_KEYS. Put a new key first, "
        "run this, then drop the old key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        for label, count in reencrypt_all(batch_size=batch_size).items():
            self.stdout.write(f"{label}: {count} row(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS("Every secret is now encrypted with the first key."))
