"""JSON bodies for the REST API, refused past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or when they hold
text that is not Unicode.

DRF's JSONParser reads the request as a stream, which never meets Django's own size check
(that lives in ``HttpRequest.body``), so without this any size would be read into memory.
JSON's ``\\ud800`` escape makes a lone surrogate, which no UTF-8 encoder (the renderer's,
the database driver's, the SMTP library's) can write: such a body is refused here, naming the
field, before any of them meets it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.parsers import JSONParser

from csm_teamviewer.errors import Invalid, ServiceError


class RequestTooLarge(ServiceError):
    code = "request_too_large"
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")


class BoundedJSONParser(JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            # One byte past the limit is enough to know it is too much.
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise RequestTooLarge(
                    _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
                )
            stream = io.BytesIO(body)
        data = super().parse(stream, media_type, parser_context)
        if unencodable := unencodable_fields(data):
            raise Invalid(NOT_UNICODE, errors={field: [str(NOT_UNICODE)] for field in unencodable})
        return data


NOT_UNICODE = _("This is not valid Unicode text (it holds a lone surrogate).")


def unencodable_fields(data: Any, field: str = "") -> list[str]:
    """The fields (``a.b``, ``items.0``) holding a string, or named by a key, UTF-8 cannot encode."""
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in _unencodable_item(field, key, value)]
    if isinstance(data, list):
        return [
            found
            for index, value in enumerate(data)
            for found in unencodable_fields(value, _join(field, index))
        ]
    if isinstance(data, str) and not _encodable(data):
        return [field or "non_field_errors"]
    return []


def _unencodable_item(field: str, key: str, value: Any) -> list[str]:
    name = _join(field, key.encode("utf-8", "backslashreplace").decode())
    return [name] if not _encodable(key) else unencodable_fields(value, name)


def _join(field: str, name: str | int) -> str:
    return f"{field}.{name}" if field else str(name)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
