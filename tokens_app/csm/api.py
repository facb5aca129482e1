"""One method per CSM REST operation the write-back needs (csm-api.md §A2-A3), with the
integration account's token kept fresh: a refused token is renewed once and the call sent once
more (a 401 means CSM did not carry the request out, so repeating it is safe)."""

from __future__ import annotations

from typing import Any

from .errors import CsmTokenRefused, CsmUnavailable
from .http import CsmHttp, segment
from .tokens import TokenKeeper


class CsmApi:
    def __init__(self, http: CsmHttp) -> None:
        self.http = http
        self.tokens = TokenKeeper(http)

    def __repr__(self) -> str:
        return f"CsmApi({self.http!r})"

    def sign_in(self) -> None:
        """Make sure there is a usable token (logging in if needed)."""
        self.tokens.access_token()

    def summary_by_name(self, name: str) -> list[dict[str, Any]]:
        body = self._call("GET", f"getbusinessobjectsummary/busobname/{segment(name)}")
        return _list_of_objects(body)

    def summaries(self, kind: str) -> list[dict[str, Any]]:
        """``All``, ``Major``, ``Supporting``, ``Lookup`` or ``Groups``."""
        return _list_of_objects(self._call("GET", f"getbusinessobjectsummaries/type/{segment(kind)}"))

    def schema(self, busobid: str) -> dict[str, Any]:
        path = f"getbusinessobjectschema/busobid/{segment(busobid)}"
        return self._call("GET", path, params={"includerelationships": "true"})

    def template(self, busobid: str) -> dict[str, Any]:
        return self._call(
            "POST",
            "getbusinessobjecttemplate",
            json={"busObId": busobid, "includeAll": True, "includeRequired": True},
        )

    def by_public_id(self, busobid: str, public_id: str) -> dict[str, Any]:
        return self._call("GET", f"getbusinessobject/busobid/{segment(busobid)}/publicid/{segment(public_id)}")

    def by_rec_id(self, busobid: str, rec_id: str) -> dict[str, Any]:
        return self._call("GET", f"getbusinessobject/busobid/{segment(busobid)}/busobrecid/{segment(rec_id)}")

    def related(
        self, *, parent_busobid: str, parent_recid: str, relationship_id: str, page: int, page_size: int
    ) -> dict[str, Any]:
        path = (
            f"getrelatedbusinessobject/parentbusobid/{segment(parent_busobid)}"
            f"/parentbusobrecid/{segment(parent_recid)}/relationshipid/{segment(relationship_id)}"
        )
        params = {"pageNumber": page, "pageSize": page_size, "allfields": "true"}
        return self._call("GET", path, params=params)

    def save_related(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "saverelatedbusinessobject", json=payload)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        token = self.tokens.access_token()
        try:
            return self.http.call(method, path, access_token=token, **kwargs)
        except CsmTokenRefused:
            token = self.tokens.access_token(refused=token)
        try:
            return self.http.call(method, path, access_token=token, **kwargs)
        except CsmTokenRefused:
            # A token CSM has just issued, refused: nothing this call can fix; try later.
            raise CsmUnavailable("CSM refused a freshly issued access token.", http_status=401) from None


def _list_of_objects(body: Any) -> list[dict[str, Any]]:
    # Summaries come as a JSON array; tolerate one object too.
    items = body if isinstance(body, list) else [body]
    return [item for item in items if isinstance(item, dict)]
