#!/usr/bin/env bash
# Installs kcat, Debian's package (librdkafka 2.0.2 on Debian 12), for the test that reads the
# alerts topic with it: an old librdkafka is the client the embedded broker's front door is for
# (services/broker_front.py). Idempotent and quiet: nothing to do when kcat is there. When it
# cannot install (no root, no sudo, apt fails) it warns and exits 0: that test then skips.
set -uo pipefail

if command -v kcat >/dev/null 2>&1; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run=(sudo -n)
else
    echo "install-kcat: kcat is missing and this user cannot install it" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if "${run[@]}" apt-get update -qq >/dev/null \
    && "${run[@]}" apt-get install -y -qq --no-install-recommends kcat >/dev/null; then
    echo "install-kcat: installed $(kcat -V 2>/dev/null | head -1 || echo kcat)"
else
    echo "install-kcat: apt-get could not install kcat; the kcat test will skip" >&2
fi
exit 0
