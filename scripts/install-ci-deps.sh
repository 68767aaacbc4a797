#!/usr/bin/env bash
# Installs what the tests need beyond the Rust toolchain, and makes sure the
# PostgreSQL server the tests use answers. Idempotent: does nothing when all
# is already in place. Needs root (CI and the development machines run as root).
#
#   - chromium + chromium-driver (Debian) for crates/ismap-web/tests/browser/
#   - a Japanese font (fonts-ipafont-gothic, 3.5 MB), so the journeys' screenshots
#     under target/tmp/journeys/ show Japanese text rather than empty boxes
#   - PostgreSQL at 127.0.0.1:5432 (trust auth) for the Postgres backend tests
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "== installing chromium and chromium-driver"
  apt-get update
  apt-get install -y --no-install-recommends chromium chromium-driver
fi
if ! dpkg -s fonts-ipafont-gothic >/dev/null 2>&1; then
  echo "== installing fonts-ipafont-gothic"
  apt-get update
  apt-get install -y --no-install-recommends fonts-ipafont-gothic
fi
for bin in /usr/bin/chromium /usr/bin/chromedriver; do
  if [ ! -x "$bin" ]; then
    echo "error: $bin is still missing after installing chromium and chromium-driver" >&2
    exit 1
  fi
done

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "error: pg_isready is missing: PostgreSQL (server and client) is expected on this machine" >&2
  exit 1
fi
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "== PostgreSQL does not answer at 127.0.0.1:5432; starting it"
  if [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
  fi
  for _ in $(seq 1 30); do
    if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
      break
    fi
    sleep 1
  done
fi
if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  echo "error: PostgreSQL does not answer at 127.0.0.1:5432 (pg_isready failed);" >&2
  echo "       the Postgres backend tests need it (trust auth for local connections)" >&2
  exit 1
fi
echo "== CI dependencies in place (chromium, chromedriver, PostgreSQL at 127.0.0.1:5432)"
