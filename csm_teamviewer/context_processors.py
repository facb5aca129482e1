from django.conf import settings
from django.http import HttpRequest


def sandbox(request: HttpRequest) -> dict:
    """Every page says so when the server talks to its TeamViewer sandbox, not TeamViewer."""
    return {"teamviewer_sandbox": settings.TEAMVIEWER_SANDBOX}
