from django.core.management.base import BaseCommand, CommandError

from sessions_app.services.cleanup import sessions_cleanup


class Command(BaseCommand):
    help = (
        "Close at TeamViewer the sessions past their lifetime, delete old closed ones, purge expired "
        "sign-ins, dead tokens and launch links, re-drive stuck invitations and revoke deactivated agents' "
        "tokens (the scheduled cleanup)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Sessions to expire, and to delete, at most in this run (default: CLEANUP_BATCH_SIZE).",
        )

    def handle(self, *args, limit: int | None, **options) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        result = sessions_cleanup(limit=limit)
        lines = [
            f"Expired sessions: {result.expired} (no usable token: {result.without_token}, "
            f"unknown to TeamViewer: {result.not_found})",
            f"Left for the next run: {result.left}",
            f"Deleted old sessions: {result.deleted}",
            f"Purged login flows: {result.login_flows}",
            f"Purged dead tokens: {result.tokens}",
            f"Revoked tokens of deactivated agents: {result.revoked_tokens}",
            f"Purged launch links: {result.launch_links}",
            f"Re-driven invitations: {result.invitations}",
        ]
        if result.rate_limited:
            lines.append("TeamViewer limited the request rate during this run.")
        self.stdout.write("\n".join(lines))
