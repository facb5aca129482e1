"""A local stand-in for Cherwell CSM's REST API, and a page showing the journals written to it.

Mounted at ``sandbox/csm/`` only while ``CSM_API_URL`` is unset. It imports no project app and is
reached over HTTP only, exactly like the CSM server it replaces (../shared/csm-api.md, Part A).
"""
