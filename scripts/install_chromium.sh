#!/usr/bin/env bash
# Installs Debian's Chromium and its WebDriver, which the browser tests of the web page and
# the email drive (tests/browser.py). Where apt is not available as root, it says so and
# the browser tests are skipped with that reason. Safe to run again.
set -uo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  apt=(sudo -n apt-get)
else
  echo "chromium: not installed and no apt as root; the browser tests will be skipped" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: no apt-get here; the browser tests will be skipped" >&2
  exit 0
fi
echo "installing chromium and chromium-driver (apt) for the browser tests" >&2
"${apt[@]}" update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends \
  chromium chromium-driver >/dev/null 2>&1 \
  || echo "chromium: apt-get install failed; the browser tests will be skipped" >&2
exit 0
