"""Static file names with a manifest, without one, and with one that predates a file."""

from __future__ import annotations

import json

from csm_teamviewer.static_storage import StaticFilesStorage


def storage_with_manifest(tmp_path, paths: dict[str, str] | None) -> StaticFilesStorage:
    if paths is not None:
        manifest = {"paths": paths, "version": "1.1", "hash": "x"}
        (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


def test_a_collected_file_is_linked_by_its_hashed_name(tmp_path):
    storage = storage_with_manifest(tmp_path, {"js/incident.js": "js/incident.abc123.js"})
    assert storage.url("js/incident.js") == "/static/js/incident.abc123.js"


def test_without_collectstatic_a_file_is_linked_by_its_plain_name(tmp_path):
    assert storage_with_manifest(tmp_path, None).url("js/incident.js") == "/static/js/incident.js"


def test_a_file_added_after_the_last_collectstatic_is_linked_by_its_plain_name_not_a_500(tmp_path):
    storage = storage_with_manifest(tmp_path, {"js/incident.js": "js/incident.abc123.js"})
    assert storage.url("js/customer-alerts.js") == "/static/js/customer-alerts.js"
