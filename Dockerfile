FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
RUN useradd --create-home --uid 1000 app
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=app:app . .
# Build-time only values: collectstatic needs settings to load. The translations' .mo files are
# committed, so no gettext tools are needed.
RUN DEBUG=0 SECRET_KEY=build ALLOWED_HOSTS=build ENCRYPTION_KEYS=ZmFrZS1idWlsZC1rZXktZmFrZS1idWlsZC1rZXkxMjM= \
    python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var /app/metrics && chown -R app:app /app/var /app/metrics
USER app
EXPOSE 8000
# gunicorn.conf.py (read from /app) marks exited workers for the metrics. No gunicorn access log:
# the app logs each request itself (with its id, agent and route, never the query string, where
# an OAuth callback carries its code), as text or JSON (LOG_FORMAT).
CMD ["gunicorn", "csm_teamviewer.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "3", "--threads", "4"]
