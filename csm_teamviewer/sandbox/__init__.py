"""A local stand-in for TeamViewer's login page and Web API (OAuth, sessions, reports).

Mounted only while no real TeamViewer client is configured. It imports no project app and is
reached over HTTP only, exactly like the remote service it replaces.
"""
