#!/usr/bin/env bash
# Benchmark: layered terraform_data graphs, timed for keyway and (when installed) Terraform.
#
#   scripts/bench.sh [--sizes "1000 5000"] [--terraform-sizes "1000"] [--layers 10]
#                    [--gateway-concurrency 16] [--gateway-seconds 5] [--no-gateway]
#
# For each size N it generates N resources in L layers (each resource reads one resource of
# the layer before, with format/cidrsubnet work in its input, plus one aggregating resource),
# then times: fresh plan, apply, no-change plan, destroy. Peak memory comes from
# /usr/bin/time -v when present, else from GNU time's absence it is read from /proc.
# Prints a table and the keyway/Terraform ratios. Terraform is slow at 5,000 (minutes), so by
# default it only runs at 1,000; the README gives the 5,000 figures measured on this machine.
# A last section loads the emulator's gateway data plane (benches/gateway_load.rs): keyed GETs
# through a gateway for a few seconds, printing requests/s, p50/p99 latency and errors.
set -euo pipefail

sizes="1000 5000"
tf_sizes="1000"
layers=10
gw_concurrency=16
gw_seconds=5
gateway=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --terraform-sizes) tf_sizes="$2"; shift 2 ;;
    --layers) layers="$2"; shift 2 ;;
    --gateway-concurrency) gw_concurrency="$2"; shift 2 ;;
    --gateway-seconds) gw_seconds="$2"; shift 2 ;;
    --no-gateway) gateway=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
keyway="$root/target/release/keyway"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'disable_checkpoint = true\n' > "$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

generate() { # dir n layers
  local dir="$1" n="$2" l="$3" per=$(( $2 / $3 ))
  mkdir -p "$dir"
  {
    echo 'terraform {'
    echo '  backend "local" {}'
    echo '}'
    for ((i = 0; i < n; i++)); do
      local layer=$(( i / per ))
      if [ "$layer" -eq 0 ]; then
        printf 'resource "terraform_data" "r%d" {\n  input = { idx = %d, name = format("r-%%04d", %d), cidr = cidrsubnet("10.0.0.0/8", 16, %d) }\n}\n' "$i" "$i" "$i" "$i"
      else
        printf 'resource "terraform_data" "r%d" {\n  input = { idx = %d, name = format("%%s-%%04d", terraform_data.r%d.output.name, %d), cidr = cidrsubnet("10.0.0.0/8", 16, %d) }\n}\n' "$i" "$i" "$(( i - per ))" "$i" "$i"
      fi
    done
    printf 'resource "terraform_data" "total" {\n  input = length([%s])\n}\n' "$(for ((i = n - per; i < n; i++)); do printf 'terraform_data.r%d.output.name,' "$i"; done)"
  } > "$dir/main.tf"
}

# Runs a command, prints "seconds peak_mb".
measure() {
  local out
  out=$( { /usr/bin/time -f '%e %M' "$@" > /dev/null 2> "$work/err"; } 2>&1 ) || { cat "$work/err" >&2; return 1; }
  tail -n 1 "$work/err" | awk '{ printf "%.2f %.0f", $1, $2 / 1024 }'
}

if [ ! -x /usr/bin/time ]; then
  echo "needs GNU time (/usr/bin/time): apt-get install time" >&2
  exit 2
fi

printf '%-9s %-6s %-16s %-16s %-16s %-16s\n' tool n "plan s/MB" "apply s/MB" "noop-plan s/MB" "destroy s/MB"
declare -A K T
for n in $sizes; do
  d="$work/k$n"; generate "$d" "$n" "$layers"
  cd "$d"
  p=$(measure "$keyway" plan -no-color); a=$(measure "$keyway" apply -auto-approve -no-color)
  q=$(measure "$keyway" plan -no-color); x=$(measure "$keyway" destroy -auto-approve -no-color)
  printf '%-9s %-6s %-16s %-16s %-16s %-16s\n' keyway "$n" "$p" "$a" "$q" "$x"
  K[$n]="$p|$a|$q|$x"
  if command -v terraform > /dev/null && [[ " $tf_sizes " == *" $n "* ]]; then
    d="$work/t$n"; generate "$d" "$n" "$layers"; cd "$d"
    terraform init -input=false -no-color > /dev/null
    p=$(measure terraform plan -input=false -no-color); a=$(measure terraform apply -auto-approve -input=false -no-color)
    q=$(measure terraform plan -input=false -no-color); x=$(measure terraform destroy -auto-approve -input=false -no-color)
    printf '%-9s %-6s %-16s %-16s %-16s %-16s\n' terraform "$n" "$p" "$a" "$q" "$x"
    T[$n]="$p|$a|$q|$x"
  fi
done
echo
for n in "${!T[@]}"; do
  IFS='|' read -r kp ka kq kx <<< "${K[$n]}"; IFS='|' read -r tp ta tq tx <<< "${T[$n]}"
  ratio() { awk -v t="${1%% *}" -v k="${2%% *}" 'BEGIN { printf "%.0fx", t / (k > 0.005 ? k : 0.005) }'; }
  echo "n=$n  Terraform/keyway: plan $(ratio "$tp" "$kp"), apply $(ratio "$ta" "$ka"), no-change plan $(ratio "$tq" "$kq"), destroy $(ratio "$tx" "$kx")"
done

if [ "$gateway" -eq 1 ]; then
  echo
  echo "Gateway data plane on the emulator (keyed GETs through a gateway to the echo backend):"
  cargo bench --quiet --manifest-path "$root/Cargo.toml" --bench gateway_load -- \
    --concurrency "$gw_concurrency" --seconds "$gw_seconds"
fi
