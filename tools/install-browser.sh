#!/usr/bin/env bash
# Installs the browser the page's end-to-end test drives: Debian's chromium package.
# Browser builds cannot be downloaded here (`playwright install` fails), so the test launches
# /usr/bin/chromium through Playwright's executable_path instead. Idempotent and quiet: it does
# nothing when chromium is already there. When it cannot install (no root, no sudo, apt fails)
# it warns and exits 0: the browser test then skips and says why.
set -uo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo -n)
else
    echo "install-browser: /usr/bin/chromium is missing and this user cannot install it" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if "${run[@]}" apt-get update -qq >/dev/null \
    && "${run[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
    echo "install-browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
else
    echo "install-browser: apt-get could not install chromium; the browser test will skip" >&2
fi
exit 0
