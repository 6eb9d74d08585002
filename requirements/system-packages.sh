#!/bin/sh
# The Debian packages `make test` needs: each program the tests run and the package that
# brings it (and python3-venv for Debian's own Python). Missing ones are installed when
# we are root with apt-get (CI, a fresh server); otherwise we stop before anything is
# made, naming the one command to run.
set -eu

# Programs in /usr/sbin count even when a user's PATH leaves that folder out.
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

# program:package. redis-server: shared rate limits; nginx, openssl, tor, systemd-analyze:
# the deployment kit is checked by the real programs (a test whose program is missing
# fails, naming `make system-packages`: tests/support/programs.py); chromium: browser
# tests (the tests use this path);
# DejaVu Sans: Cyrillic glyphs for Chromium, so Ukrainian and Bulgarian screenshots and
# browser tests show letters, not tofu (visitors use their own system fonts).
NEEDED="redis-server:redis-server nginx:nginx openssl:openssl tor:tor systemd-analyze:systemd /usr/bin/chromium:chromium /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:fonts-dejavu-core"

# Debian's own Python makes virtual environments only with python3-venv (ensurepip).
PYTHON=${PYTHON:-python3}

missing_packages() {
    case $(command -v "$PYTHON" || true) in
        /usr/bin/*) "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1 || printf ' %s' python3-venv ;;
    esac
    for pair in $NEEDED; do
        program=${pair%%:*}
        case $program in
            /*) [ -e "$program" ] && continue ;;  # a program or a font file
            *) command -v "$program" >/dev/null 2>&1 && continue ;;
        esac
        printf ' %s' "${pair#*:}"
    done
}

missing=$(missing_packages)
[ -z "$missing" ] && exit 0

install="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing the Debian packages the tests need:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086  # one word per package
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
    still=$(missing_packages)
    if [ -n "$still" ]; then
        echo "make test: apt-get installed, yet these are still missing:$still" >&2
        exit 1
    fi
elif command -v apt-get >/dev/null 2>&1; then
    echo "make test needs the Debian packages$missing; run: sudo apt-get update && sudo $install" >&2
    exit 1
else
    echo "make test needs the programs of the Debian packages$missing (on Debian: $install)" >&2
    exit 1
fi
