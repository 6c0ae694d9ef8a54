# syntax=docker/dockerfile:1
# One image for web (gunicorn), Celery worker and Celery beat; docker-compose.yml picks the command.

# --- Front-end assets: GOV.UK Frontend from npm, compiled into static/govuk/ ------------------------
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-assets.mjs scripts/
COPY static_src/ static_src/
RUN npm run build

# --- Application -------------------------------------------------------------------------------------
FROM python:3.11-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --from=assets /app/static/govuk/ static/govuk/

# collectstatic reads the production settings, which insist on a SECRET_KEY: this dummy one exists
# only for this build step and is not kept in the image's environment.
ARG COLLECTSTATIC_SECRET_KEY=collectstatic-only-dummy-key-not-used-by-any-running-container-0123456789
RUN DJANGO_SETTINGS_MODULE=config.settings.production \
    SECRET_KEY="$COLLECTSTATIC_SECRET_KEY" \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput --verbosity 0

# A non-root user owns only what the app writes: uploads under var/media, beat's schedule under var/beat.
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home tracker \
    && mkdir -p var/media var/beat \
    && chown -R tracker:tracker var
USER tracker

ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000
EXPOSE 8000
# gunicorn binds 0.0.0.0:$PORT and takes its worker count from WEB_CONCURRENCY when set.
CMD ["gunicorn", "config.wsgi", "--access-logfile", "-", "--timeout", "60"]
