#!/usr/bin/env bash
# Start the service under gunicorn with the demo data, sign in as an admin, and let
# schemathesis fuzz every operation of the OpenAPI document: any 5xx or answer that
# breaks the documented schema fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
workdir=$(mktemp -d)
export COMMERCE_INSTANCE_PATH="$workdir" COMMERCE_LOG_JSON=false COMMERCE_LOG_LEVEL=WARNING \
       COMMERCE_EMBEDDED_WORKER=false COMMERCE_SECRET_KEY="fuzzing-secret-key-0123456789abcdef"
flask --app wsgi db upgrade
flask --app wsgi demo load >/dev/null
flask --app wsgi users create-admin fuzz@example.com --password fuzzing-password-123 >/dev/null
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gunicorn -w 2 -b "127.0.0.1:$port" --log-level warning wsgi:app &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/tokens" -H 'Content-Type: application/json' \
    -d '{"email": "fuzz@example.com", "password": "fuzzing-password-123"}' | python -c 'import json,sys; print(json.load(sys.stdin)["token"])')
schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --header "Authorization: Bearer $token" \
    --exclude-path "/api/v1/auth/tokens/current" \
    --phases examples,coverage,fuzzing \
    --max-examples 25 \
    --workers 1 \
    --suppress-health-check all \
    --seed 20261122
