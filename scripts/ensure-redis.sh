#!/bin/sh
# Makes sure `redis-server` is on PATH for the Redis store tests (test/setup/redis.ts starts
# and stops its own instance on a free port; this only installs the Debian package).
set -eu
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package enables a system service on port 6379; the tests do not use it.
($SUDO service redis-server stop || true) >/dev/null 2>&1
command -v redis-server
