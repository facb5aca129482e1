"""JSON bodies for the REST API, refused past ``DATA_UPLOAD_MAX_MEMORY_SIZE``.

DRF's JSONParser reads the request as a stream, which never meets Django's own size check
(that lives in ``HttpRequest.body``), so without this any size would be read into memory.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.parsers import JSONParser

from csm_teamviewer.errors import ServiceError


class RequestTooLarge(ServiceError):
    code = "request_too_large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            # One byte past the limit is enough to know it is too much.
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestTooLarge(
                    _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
                )
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)
