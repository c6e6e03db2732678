#!/bin/sh
# Makes sure `redis-server` and `redis-cli` are on PATH for the Redis store tests
# (test/setup/redis.ts starts and stops its own instances on free ports: one server, a primary
# with a replica, a Sentinel, a 3 + 3 cluster built with `redis-cli --cluster create`; this only
# installs the Debian package) and prints the version: writes are confirmed by WAITAOF on
# Redis >= 7.2 and by WAIT below (Debian bookworm ships 7.0, so the tests run the WAIT path).
set -eu
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null
  # The package enables a system service on port 6379; the tests do not use it.
  ($SUDO service redis-server stop || true) >/dev/null 2>&1
fi
redis-server --version
