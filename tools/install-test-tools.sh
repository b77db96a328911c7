#!/usr/bin/env bash
# Installs the Debian packages two end-to-end tests need: chromium, which the live page's test
# drives through Playwright's executable_path (browser builds cannot be downloaded here, so
# `playwright install` fails), and kcat (librdkafka 2.0.2 on Debian 12), the old librdkafka
# client the embedded broker's front door is for (services/broker_front.py). Idempotent and
# quiet: it installs only what is missing, in one apt run. When it cannot install (no root,
# no sudo, apt fails) it warns and exits 0: the test that needs the tool then skips and says why.
set -uo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo -n)
else
    echo "install-test-tools: ${missing[*]} missing and this user cannot install them" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if "${run[@]}" apt-get update -qq >/dev/null \
    && "${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "install-test-tools: installed ${missing[*]}"
else
    echo "install-test-tools: apt-get could not install ${missing[*]}; their tests will skip" >&2
fi
exit 0
