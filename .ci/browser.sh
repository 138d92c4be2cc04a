#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it through executable_path), and a
# Chinese font so that pages in Chinese are laid out (and screenshotted) with real glyphs.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
chromium --version
