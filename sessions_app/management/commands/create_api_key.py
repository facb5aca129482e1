from django.core.management.base import BaseCommand, CommandError

from sessions_app.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an API key for CSM. The key is printed once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for, e.g. 'CSM production'.")

    def handle(self, *args, name: str, **options) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("NAME must be 1 to 100 characters.")
        api_key, key = api_key_create(name=name)
        self.stderr.write(f"Created API key {api_key.prefix}… named {name!r}. Store it now: it is not shown again.")
        self.stdout.write(key)
