#!/usr/bin/env bash
# The real peer of tests/interop: installs Debian's postfix if missing and runs a private instance
# (config, queue, log under $SMTP_PROBE_INTEROP_DIR, default /var/lib/smtp-probe-interop) on an
# address of its own ($SMTP_PROBE_INTEROP_ADDR, default 127.77.25.2) only: 25 STARTTLS
# (mx.interop.test, cert from fixtures/tls/ca.pem), 587 STARTTLS required and 465 implicit TLS, both
# without AUTH. Mailbox alice@interop.test; relaying refused; no DNS used. Its banner carries a
# random marker (written to $BASE/etc/marker) so the tests never mistake another server for it.
# Coexists with any other mail server (own base dir, own address, never touches /etc/postfix).
# Needs root and apt. Idempotent: a second run rewrites the config and restarts the instance.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${SMTP_PROBE_INTEROP_DIR:-/var/lib/smtp-probe-interop}
ADDR=${SMTP_PROBE_INTEROP_ADDR:-127.77.25.2}
t0=$(date +%s)
say() { printf 'setup-peers: [%3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
die() { printf 'setup-peers: error: %s\n' "$*" >&2; exit 1; }
# Loopback only (the tests' network guard refuses anything else), and a plain dotted quad: it is
# written into master.cf.
[[ $ADDR =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "SMTP_PROBE_INTEROP_ADDR=$ADDR: give an IPv4 address in 127.0.0.0/8"
case $BASE in /*) ;; *) die "SMTP_PROBE_INTEROP_DIR=$BASE: give an absolute path" ;; esac

if [ "$(id -u)" -ne 0 ]; then
  # CI may run as a user with passwordless sudo: re-run ourselves as root then.
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then exec sudo -n -E bash "$0" "$@"; fi
  die "must run as root (installs postfix, binds port 25)"
fi

# 1. The package. "No configuration" leaves /etc/postfix/main.cf absent, so the system's default
# instance never starts; policy-rc.d keeps the postinst from trying in a container anyway.
if [ -x /usr/sbin/postfix ]; then
  say "postfix already installed ($(dpkg-query -W -f='${Version}' postfix 2>/dev/null || echo '?'))"
else
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  fi
  install_postfix() { apt-get install -y -q --no-install-recommends postfix >/dev/null; }
  # Refresh the package lists only when they do not know postfix or are too old to fetch it.
  if apt-cache show postfix >/dev/null 2>&1 && install_postfix; then
    :
  else
    say "apt-get update (package lists missing or stale)"
    apt-get update -q >/dev/null || say "apt-get update reported errors; trying the install anyway"
    install_postfix
  fi
  say "installed postfix $(dpkg-query -W -f='${Version}' postfix)"
fi

# 2. A stopped instance before rewriting its config (the second run restarts cleanly).
if [ -f "$BASE/etc/main.cf" ] && postfix -c "$BASE/etc" status >/dev/null 2>&1; then
  postfix -c "$BASE/etc" stop >/dev/null 2>&1 || true
  for _ in $(seq 50); do postfix -c "$BASE/etc" status >/dev/null 2>&1 || break; sleep 0.1; done
  say "stopped the running instance"
fi
# Other mail servers on the machine are fine; only our own address must be free now that our
# instance is stopped.
for port in 25 587 465; do
  if (exec 3<>"/dev/tcp/$ADDR/$port") 2>/dev/null; then
    die "another server (not the instance under $BASE) already listens on $ADDR:$port; stop it, or pick another loopback address for both this script and the tests: SMTP_PROBE_INTEROP_ADDR=127.x.y.z"
  fi
done

# 3. Config, certificate, recipients. Postfix insists on root-owned config and queue paths.
umask 022
mkdir -p "$BASE/etc" "$BASE/queue" "$BASE/data" "$BASE/log"
chown root:root "$BASE" "$BASE/etc" "$BASE/queue"
chown postfix:postfix "$BASE/data"
# A fresh marker per install: the tests accept a banner only if it carries this token.
MARKER="smtp-probe-interop-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
for f in main.cf master.cf; do sed -e "s|@BASE@|$BASE|g" -e "s|@ADDR@|$ADDR|g" -e "s|@MARKER@|$MARKER|g" ".ci/postfix/$f" > "$BASE/etc/$f"; done
printf '%s\n' "$MARKER" > "$BASE/etc/marker"
chmod 0644 "$BASE/etc/marker"
cp .ci/postfix/recipients "$BASE/etc/recipients"
install -m 0644 fixtures/tls/interop.pem "$BASE/etc/interop.pem"
install -m 0600 fixtures/tls/interop.key "$BASE/etc/interop.key"
if command -v openssl >/dev/null; then
  openssl verify -CAfile fixtures/tls/ca.pem "$BASE/etc/interop.pem" >/dev/null \
    || die "fixtures/tls/interop.pem is not signed by fixtures/tls/ca.pem: run bash fixtures/tls/generate.sh"
fi
: > "$BASE/log/maillog"
# Postfix commands log to syslog unless stderr is a terminal: on failure, say it again on a
# pseudo-terminal (script(1)) so the reason shows in the CI log.
pf() {
  postfix -c "$BASE/etc" "$@" >/dev/null 2>&1 && return 0
  if command -v script >/dev/null; then script -qec "postfix -c $BASE/etc $*" /dev/null >&2 || true; fi
  tail -n 20 "$BASE/log/maillog" >&2 || true
  die "postfix $* failed"
}
# Creates the queue subdirectories with Postfix's own owners and modes, and reports problems.
pf check
say "wrote $BASE/etc (main.cf, master.cf, recipients: alice@interop.test, postmaster@interop.test)"

# 4. Start and wait for the three listeners (the banner on 25, a TCP accept on 587 and 465).
pf start
banner=
for _ in $(seq 100); do
  banner=$(timeout 2 bash -c "exec 3<>/dev/tcp/$ADDR/25; head -n1 <&3; printf 'QUIT\r\n' >&3" 2>/dev/null || true)
  case $banner in 220*) break ;; esac
  sleep 0.1
done
case $banner in 220*) ;; *) tail -n 20 "$BASE/log/maillog" >&2; die "no SMTP banner on $ADDR:25" ;; esac
for port in 587 465; do
  (exec 3<>"/dev/tcp/$ADDR/$port") 2>/dev/null || die "nothing listens on $ADDR:$port"
done
say "postfix listens on $ADDR:25 (STARTTLS), :587 (submission, STARTTLS required), :465 (implicit TLS)"
case $banner in *"$MARKER"*) ;; *) die "the banner on $ADDR:25 lacks this install's marker: ${banner%$'\r'}" ;; esac
say "banner: ${banner%$'\r'}"
say "run the interop tests with: SMTP_PROBE_INTEROP=1 npm test"
say "log: $BASE/log/maillog; stop with: postfix -c $BASE/etc stop"
if [ -x /usr/sbin/smtp-sink ]; then say "smtp-sink is available (/usr/sbin/smtp-sink)"; fi

# 5. Redis for the scale-out tests (tests/queue: `verify --queue`, `worker`): Debian's
# redis-server as a private instance on its own loopback address ($SMTP_PROBE_REDIS_ADDR, default
# 127.77.63.79) only, plain on 6379 and TLS (rediss://, fixtures/tls/redis.pem) on 6380, a random
# password (in $RBASE/password, which the tests read), no persistence, its own dir; the system's
# default instance is never started or touched.
RBASE=${SMTP_PROBE_REDIS_DIR:-/var/lib/smtp-probe-redis}
RADDR=${SMTP_PROBE_REDIS_ADDR:-127.77.63.79}
[[ $RADDR =~ ^127\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "SMTP_PROBE_REDIS_ADDR=$RADDR: give an IPv4 address in 127.0.0.0/8"
case $RBASE in /*) ;; *) die "SMTP_PROBE_REDIS_DIR=$RBASE: give an absolute path" ;; esac
if [ -x /usr/bin/redis-server ]; then
  say "redis-server already installed ($(dpkg-query -W -f='${Version}' redis-server 2>/dev/null || echo '?'))"
else
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  # policy-rc.d keeps the postinst from starting the system's default instance.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  fi
  install_redis() { apt-get install -y -q --no-install-recommends redis-server >/dev/null; }
  if apt-cache show redis-server >/dev/null 2>&1 && install_redis; then
    :
  else
    say "apt-get update (package lists missing or stale)"
    apt-get update -q >/dev/null || say "apt-get update reported errors; trying the install anyway"
    install_redis
  fi
  say "installed redis-server $(dpkg-query -W -f='${Version}' redis-server)"
fi
# A running instance of ours is stopped first (by its pid file: never another Redis).
if [ -f "$RBASE/redis.pid" ]; then
  pid=$(cat "$RBASE/redis.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = redis-server ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do [ -d /proc/"$pid" ] || break; sleep 0.1; done
    say "stopped the running Redis instance"
  fi
  rm -f "$RBASE/redis.pid"
fi
for port in 6379 6380; do
  if (exec 3<>"/dev/tcp/$RADDR/$port") 2>/dev/null; then
    die "another server (not the Redis under $RBASE) already listens on $RADDR:$port; stop it, or pick another loopback address: SMTP_PROBE_REDIS_ADDR=127.x.y.z"
  fi
done
mkdir -p "$RBASE"
RPASS=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
install -m 0644 fixtures/tls/redis.pem "$RBASE/redis.pem"
install -m 0600 fixtures/tls/redis.key "$RBASE/redis.key"
install -m 0644 fixtures/tls/ca.pem "$RBASE/ca.pem"
cat > "$RBASE/redis.conf" <<CONF
bind $RADDR
port 6379
tls-port 6380
tls-cert-file $RBASE/redis.pem
tls-key-file $RBASE/redis.key
tls-ca-cert-file $RBASE/ca.pem
tls-auth-clients no
requirepass $RPASS
protected-mode yes
dir $RBASE
save ""
appendonly no
daemonize yes
pidfile $RBASE/redis.pid
logfile $RBASE/redis.log
databases 16
maxclients 1000
CONF
chmod 0600 "$RBASE/redis.conf"
# Run as the package's redis user when there is one (Redis warns when run as root).
ruser=root
if id redis >/dev/null 2>&1; then ruser=redis; fi
chown -R "$ruser" "$RBASE"
printf '%s\n' "$RPASS" > "$RBASE/password"
chmod 0644 "$RBASE/password"
if [ "$ruser" = root ]; then redis-server "$RBASE/redis.conf"; else runuser -u "$ruser" -- redis-server "$RBASE/redis.conf"; fi
pong=
for _ in $(seq 100); do
  pong=$(REDISCLI_AUTH=$RPASS timeout 2 redis-cli -h "$RADDR" -p 6379 ping 2>/dev/null || true)
  [ "$pong" = PONG ] && break
  sleep 0.1
done
[ "$pong" = PONG ] || { tail -n 20 "$RBASE/redis.log" >&2 || true; die "no PONG from Redis on $RADDR:6379"; }
say "redis $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') listens on $RADDR:6379 and :6380 (TLS), password in $RBASE/password"
say "log: $RBASE/redis.log; stop with: kill \$(cat $RBASE/redis.pid)"
say "done"
