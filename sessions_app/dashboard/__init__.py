"""The admin's dashboard: how remote support was used over a chosen period, as server-drawn charts."""
