#!/usr/bin/env bash
# Installs what `make run` and `make test` need on Debian/Ubuntu, when it can
# (as root with apt-get). Otherwise it prints the exact command to run.
# Groups: no argument or "run" (make run), "test" (make test), "bench" (the
# hotline load runs of BENCHMARKS.md: SIPp as a second, independent client).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

if ! have initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql postgresql-contrib)
fi
have redis-server || need+=(redis-server)
if [ "${1:-}" = "test" ]; then
  have chromium || have chromium-browser || need+=(chromium)
  have baresip || need+=(baresip)
  # Kannel's bearerbox and smsbox, and fakesmsc (kannel-extras) as the SMSC
  # of the notification tests.
  [ -x /usr/sbin/bearerbox ] || need+=(kannel)
  [ -x /usr/lib/kannel/test/fakesmsc ] || need+=(kannel-extras)
  # Kamailio, the SIP edge in front of two hotline nodes (its base package
  # ships dispatcher, path, nathelper, registrar, usrloc, tm, sl, rr).
  have kamailio || [ -x /usr/sbin/kamailio ] || need+=(kamailio)
  # HAProxy in front of two nodes in the load-balancer test (cmd/doithoai).
  have haproxy || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
  # pgBackRest: continuous archiving, and the restore drill that proves it.
  have pgbackrest || need+=(pgbackrest)
  # systemd-analyze (the shipped units verify) and rsync (their files backup).
  have systemd-analyze || need+=(systemd)
  have rsync || need+=(rsync)
fi
if [ "${1:-}" = "bench" ]; then
  # SIPp (Debian sip-tester), playing G.711 RTP from scripts/sipp/*.pcap.
  have sipp || need+=(sip-tester)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && have apt-get; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi

echo "missing: ${need[*]}" >&2
echo "run: sudo apt-get install -y ${need[*]}" >&2
exit 1
