from django.conf import settings
from django.http import HttpRequest


def sandbox(request: HttpRequest) -> dict:
    """Every page says so when the server talks to its TeamViewer or CSM sandbox."""
    return {"teamviewer_sandbox": settings.TEAMVIEWER_SANDBOX, "csm_sandbox": settings.CSM_SANDBOX,
            "csm_sandbox_url": f"/{settings.CSM_SANDBOX_PATH}/",
            # Where the TeamViewer sandbox lets one play the customer (bring them online).
            "teamviewer_sandbox_customer_url": f"/{settings.SANDBOX_PATH}/control/sessions/"}
