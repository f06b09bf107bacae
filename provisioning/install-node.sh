#!/bin/sh
# KubeLab node installer. Run over SSH by the host after it uploaded everything into the
# staging folder next to this script. Idempotent: files are installed only when they differ
# (temp file + rename), services are (re)started only when something changed or they are
# down, so a re-run after a dropped connection finishes the job without duplicating anything.
#
# The node's filesystem root is $KUBELAB_ROOT (empty on a VM; a folder for a local node).
set -eu

STAGING=$(cd "$(dirname "$0")" && pwd)
ROOT=${KUBELAB_ROOT:-}
ROOT=${ROOT%/}
. "$STAGING/node.env"

say() { printf 'kubelab-install: %s\n' "$*"; }
die() { printf 'kubelab-install: ERROR: %s\n' "$*" >&2; exit 1; }

# --- preflight: Node.js >= 20 and containerd >= 1.6 -------------------------------------
NODE_BIN=${KUBELAB_NODE_BINARY:-}
[ -n "$NODE_BIN" ] || NODE_BIN=$(command -v node || true)
[ -n "$NODE_BIN" ] && [ -x "$NODE_BIN" ] || die "Node.js is not installed on node $KUBELAB_NODE_NAME: install Node.js 20 or newer (e.g. 'apt-get install nodejs' on Debian 13 / Ubuntu 24.04, or NodeSource) and run create again"
NODE_VERSION=$("$NODE_BIN" -p 'process.versions.node' 2>/dev/null || echo 0)
NODE_MAJOR=${NODE_VERSION%%.*}
[ "$NODE_MAJOR" -ge 20 ] 2>/dev/null || die "Node.js $NODE_VERSION on node $KUBELAB_NODE_NAME is too old: install Node.js 20 or newer and run create again"
say "Node.js $NODE_VERSION ($NODE_BIN)"

command -v containerd >/dev/null 2>&1 || die "containerd is not installed on node $KUBELAB_NODE_NAME: install containerd 1.6 or newer (Debian/Ubuntu: apt-get install containerd) and run create again"
CTRD_VERSION=$(containerd --version | awk '{print $3}' | sed 's/^v//')
CTRD_MAJOR=$(echo "$CTRD_VERSION" | cut -d. -f1)
CTRD_MINOR=$(echo "$CTRD_VERSION" | cut -d. -f2)
if [ "$CTRD_MAJOR" -lt 1 ] 2>/dev/null || { [ "$CTRD_MAJOR" -eq 1 ] && [ "$CTRD_MINOR" -lt 6 ]; }; then
  die "containerd $CTRD_VERSION on node $KUBELAB_NODE_NAME is too old: install containerd 1.6 or newer and run create again"
fi
say "containerd $CTRD_VERSION"

# --- etcd, when this control-plane node runs a member (kubelab create --store etcd) ----------
case " $(cat "$STAGING/components.txt") " in
  *" etcd "*)
    # etcdctl (Debian's etcd-client, only "Suggested" by etcd-server) is what learners and the
    # etcd labs use on the node, as on a kubeadm control plane.
    if [ ! -x /usr/bin/etcd ] || { [ "$KUBELAB_SERVICE_MODE" = systemd ] && ! command -v etcdctl >/dev/null 2>&1; }; then
      if [ "$KUBELAB_SERVICE_MODE" = systemd ] && command -v apt-get >/dev/null 2>&1; then
        say "installing etcd-server and etcd-client (the distribution's etcd and etcdctl)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q etcd-server etcd-client >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q etcd-server etcd-client >/dev/null; } ||
          die "could not install etcd-server and etcd-client on node $KUBELAB_NODE_NAME: run 'apt-get install etcd-server etcd-client' there and run create again"
      elif [ -x /usr/bin/etcd ]; then
        say "etcdctl is not installed here (install Debian/Ubuntu etcd-client for it): etcd itself runs"
      else
        die "etcd is not installed for node $KUBELAB_NODE_NAME (/usr/bin/etcd is missing): install Debian/Ubuntu etcd-server on this machine and run create again"
      fi
    fi
    # The package's own unit runs a plain-http member on 127.0.0.1:2379; kubelab-etcd replaces it.
    if [ "$KUBELAB_SERVICE_MODE" = systemd ]; then systemctl disable --now etcd.service >/dev/null 2>&1 || true; fi
    say "$(/usr/bin/etcd --version 2>/dev/null | head -n 1)"
    ;;
esac

SOCK="$ROOT/run/containerd/containerd.sock"
if [ "$KUBELAB_SERVICE_MODE" = systemd ] && [ ! -S "$SOCK" ]; then
  systemctl enable --now containerd >/dev/null 2>&1 || die "could not start containerd on node $KUBELAB_NODE_NAME: see 'journalctl -u containerd'"
fi
i=0
while [ ! -S "$SOCK" ]; do
  i=$((i + 1))
  [ $i -le 100 ] || die "containerd's socket $SOCK did not appear within 10 s on node $KUBELAB_NODE_NAME: check that containerd runs"
  sleep 0.1
done

# --- files --------------------------------------------------------------------------------
mkdir -p "$ROOT/etc/kubelab/pki" "$ROOT/var/lib/kubelab/bin" "$ROOT/var/log/kubelab" "$ROOT/run/kubelab"
chmod 0700 "$ROOT/etc/kubelab/pki"

# One installer at a time per node (a re-run while a dropped one is still finishing waits).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$ROOT/run/kubelab/install.lock"
  flock -w 60 9 || die "another install is still running on node $KUBELAB_NODE_NAME after 60 s: wait and run create again"
fi

# One Node.js process installs every file (compare, temp file + rename): a shell loop forks
# five programs per file, which takes a minute on an emulated (TCG) VM.
CHANGED=$("$NODE_BIN" - "$STAGING" <<'JS'
const fs = require('fs')
const path = require('path')
const staging = process.argv[2]
let changed = 0
for (const line of fs.readFileSync(path.join(staging, 'manifest.txt'), 'utf8').split('\n')) {
  const m = /^(\d+)\s+(\S+)\s+(.+)$/.exec(line.trim())
  if (!m) continue
  const [, mode, dest, src] = m
  const bits = parseInt(mode, 8)
  const data = fs.readFileSync(path.join(staging, src))
  let same = false
  try { same = fs.readFileSync(dest).equals(data) } catch {}
  if (same) { fs.chmodSync(dest, bits); continue }
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  const tmp = `${dest}.kubelab-new`
  fs.writeFileSync(tmp, data, { mode: bits })
  fs.chmodSync(tmp, bits)
  fs.renameSync(tmp, dest)
  changed = 1
  process.stderr.write(`kubelab-install: installed ${dest}\n`)
}
process.stdout.write(String(changed))
JS
) || die "installing the staged files on node $KUBELAB_NODE_NAME failed (see the lines above): free disk space and run create again"
[ "$CHANGED" = 1 ] || say "all files already up to date"

# --- /etc/hosts: every control-plane node by name (VM clusters with several control planes) ----
# etcd peers reach each other by node name, so the members survive a VM coming back with another
# address: this block is rewritten on every provisioning (a repair after an address change too).
# (provisioning/etc-hosts.mjs; on VMs the etcd unit re-applies it before every start.)
if [ -f "$STAGING/etc-hosts.kubelab" ] && [ -f "$ROOT/var/lib/kubelab/bin/etc-hosts.mjs" ]; then
  "$NODE_BIN" "$ROOT/var/lib/kubelab/bin/etc-hosts.mjs" "$STAGING/etc-hosts.kubelab" "$ROOT/etc/hosts" ||
    die "could not update $ROOT/etc/hosts on node $KUBELAB_NODE_NAME"
fi

# --- services -----------------------------------------------------------------------------
COMPONENTS=$(cat "$STAGING/components.txt")
if [ "$KUBELAB_SERVICE_MODE" = systemd ]; then
  systemctl daemon-reload
  # One systemctl call for all units: each call is slow on an emulated VM.
  UNITS=""
  for c in $COMPONENTS; do UNITS="$UNITS kubelab-$c.service"; done
  # Stops the pods at power-off so the shutdown does not wait on them (node-plan.ts shutdownUnit).
  [ -f /etc/systemd/system/kubelab-shutdown.service ] && UNITS="$UNITS kubelab-shutdown.service"
  systemctl enable $UNITS >/dev/null 2>&1
  if [ "$CHANGED" = 1 ]; then systemctl restart $UNITS; else systemctl start $UNITS; fi
  for c in $COMPONENTS; do say "service kubelab-$c running"; done
else
  PIDFILE="$ROOT/run/kubelab/supervisor.pid"
  SUP="$ROOT/var/lib/kubelab/bin/supervisor.mjs"
  CONF="$ROOT/etc/kubelab/components.json"
  PID=$(cat "$PIDFILE" 2>/dev/null || true)
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && tr '\0' ' ' < "/proc/$PID/cmdline" | grep -q "$SUP"; then
    if [ "$CHANGED" = 1 ]; then
      kill -HUP "$PID"
      say "supervisor (pid $PID) restarts the components with the new files"
    else
      say "supervisor (pid $PID) already running"
    fi
  else
    # setsid: the supervisor outlives this SSH session; it writes its own pid file.
    # 9>&-: the supervisor must not inherit (and hold forever) the install lock.
    setsid "$NODE_BIN" "$SUP" "$CONF" >> "$ROOT/var/log/kubelab/supervisor.log" 2>&1 < /dev/null 9>&- &
    # Hold the install lock until it has: an installer cut off mid-way keeps running, and the
    # next one must find this supervisor, not start a second (a busy host starts it slowly).
    i=0
    while ! [ -s "$PIDFILE" ]; do
      i=$((i + 1))
      [ $i -le 600 ] || die "the supervisor did not start within 60 s on node $KUBELAB_NODE_NAME: see $ROOT/var/log/kubelab/supervisor.log"
      sleep 0.1
    done
    say "supervisor started (pid $(cat "$PIDFILE"))"
  fi
fi
say "node $KUBELAB_NODE_NAME installed"
