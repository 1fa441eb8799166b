#!/usr/bin/env bash
# How close keyway's apply and destroy of the tutorial stack (examples/api-gateway-keys) come to
# the critical path of its graph when every request has cloud-like latency.
#
#   scripts/bench-stack.sh [--latency-ms 40] [--operation-delay-ms 300]
#
# Starts `keyway emulator` on 127.0.0.1 with that latency on every request and that duration for
# every long-running operation, applies and destroys a copy of the example, and prints the wall
# time of each command next to the critical path: the longest chain of dependent operations,
# each weighted by the duration keyway reported for it ("... complete after Nms").
set -euo pipefail

latency=40
opdelay=300
while [ $# -gt 0 ]; do
  case "$1" in
    --latency-ms) latency="$2"; shift 2 ;;
    --operation-delay-ms) opdelay="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
keyway="$root/target/release/keyway"
work="$(mktemp -d)"
trap 'kill "$emu_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$root/examples/api-gateway-keys/." "$work/"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$keyway" emulator --port "$port" --latency-ms "$latency" --operation-delay-ms "$opdelay" \
  >"$work/emulator.log" 2>&1 &
emu_pid=$!
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/__emulator/counters" >/dev/null 2>&1 && break
  sleep 0.1
done
export KEYWAY_EMULATOR="http://127.0.0.1:$port" NO_COLOR=1

"$keyway" -chdir="$work" graph >"$work/graph.dot"

# Runs one command, then prints its wall time and critical path.
measure() {
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$keyway" -chdir="$work" "$@" >"$work/$label.out" 2>&1
  end=$(date +%s.%N)
  python3 - "$label" "$start" "$end" "$work/graph.dot" "$work/$label.out" "$@" <<'PY'
import re, sys
label, start, end, dot, out = sys.argv[1:6]
destroy = "destroy" in sys.argv[6:]
wall = float(end) - float(start)
deps = {}
for a, b in re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', open(dot).read(), re.M):
    deps.setdefault(a, set()).add(b)
took = {}
for addr, n, unit in re.findall(r'^(\S+?)(?:\[[^\]]*\])?: \w+ complete after (\d+)(ms|s)', open(out).read(), re.M):
    ms = int(n) * (1000 if unit == "s" else 1)
    took[addr] = max(took.get(addr, 0), ms)  # instances of one resource run side by side
if destroy:  # deletes run in reverse dependency order
    rev = {}
    for a, bs in deps.items():
        for b in bs:
            rev.setdefault(b, set()).add(a)
    deps = rev
memo = {}
def path(n):
    if n not in memo:
        memo[n] = took.get(n, 0) + max((path(d) for d in deps.get(n, ())), default=0)
    return memo[n]
crit = max((path(n) for n in took), default=0) / 1000
over = (wall / crit - 1) * 100 if crit else float("nan")
print(f"{label:8} wall {wall:6.2f} s   critical path {crit:6.2f} s   overhead {over:+5.1f}%   ({len(took)} resources)")
PY
}

echo "latency ${latency} ms per request, operations ${opdelay} ms"
measure apply apply -auto-approve
measure destroy destroy -auto-approve
