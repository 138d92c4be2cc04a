#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it through executable_path).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
chromium --version
