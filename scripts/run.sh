#!/usr/bin/env bash
# `make run`: prepare the database and demo data, then start web, Celery worker and Celery beat
# together on the embedded defaults (SQLite and the file-system broker under var/). Ctrl-C stops all
# three. Expects the virtual environment and the front-end assets that `make run` builds first.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export PORT="${PORT:-8000}"
# The web server listens on this machine only unless HOST says otherwise (HOST=0.0.0.0 for a LAN).
export HOST="${HOST:-127.0.0.1}"
# Links in emails (and the sign-in address seed_demo prints) follow the port, unless .env says otherwise.
if [[ -z "${SITE_URL:-}" ]] && ! grep -qs '^SITE_URL=' .env; then
    export SITE_URL="http://localhost:${PORT}"
fi

# WeasyPrint (the board report's PDF) needs Pango from the system: installed here where we can.
if ! python -c "import weasyprint" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null && [[ "$(id -u)" -eq 0 ]]; then
        apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || true
    fi
    python -c "import weasyprint" >/dev/null 2>&1 || echo "Note: the board report's PDF needs Pango:" \
        "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 (Debian, Ubuntu) or brew install pango" \
        "(macOS). Everything else works without it."
fi

# kombu's file-system transport needs its folders before the worker or beat touches them.
mkdir -p var/broker/queue var/broker/control var/media

python manage.py migrate --noinput
python manage.py createcachetable
python manage.py collectstatic --noinput --verbosity 0

# Demo data once: a second `make run` keeps whatever the demo user changed since.
if [[ ! -f var/.seeded ]]; then
    echo "Creating demo data (first run only)..."
    python manage.py seed_demo
    touch var/.seeded
fi

# The staff persona: a fresh sign-in link each start (links last a week, so none is stored).
STAFF_LINK="$(python manage.py demo_staff_link 2>/dev/null || true)"

banner() {
    cat <<BANNER

  HSB training tracker
  --------------------
  Open:    http://localhost:${PORT}/   (listening on ${HOST}:${PORT})
  Health:  http://localhost:${PORT}/healthz  (the worker reports healthy within a minute or two)
  Admin:   http://localhost:${PORT}/admin/
  Stop:    Ctrl-C (stops web, worker and beat)

BANNER
    if [[ -f var/demo-logins.txt ]]; then
        echo "  Demo logins:"
        sed 's/^/    /' var/demo-logins.txt
    fi
    if [[ -n "$STAFF_LINK" ]]; then
        echo "    $STAFF_LINK"
    fi
    echo
}

# The address and demo logins come LAST, once the web server answers (after the start-up output of
# web, worker and beat), so they are the last thing on the screen rather than scrolled away.
probe_host="$HOST"
[[ "$probe_host" == "0.0.0.0" || "$probe_host" == "::" ]] && probe_host=127.0.0.1
(
    for _ in $(seq 1 120); do
        if python -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)" \
            "$probe_host" "$PORT" 2>/dev/null; then
            sleep 2
            banner
            exit 0
        fi
        sleep 1
    done
    banner
) &

# honcho prefixes each line with the process it came from, and on Ctrl-C (or when any one process
# dies) stops all three. No .env of its own: the settings read .env themselves.
exec honcho start --procfile scripts/Procfile --app-root . --env /dev/null --port "$PORT"
