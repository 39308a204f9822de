#!/usr/bin/env bash
# Runs one benchmark (tests/benchmarks/NAME_benchmark.py) from the repository root. Installs what it needs (the main
# venv, the stock-Mac Python; Debian packages as root), copies the collection to a scratch
# .../ansible_collections/macfleet/apple_network, runs the script there with ANSIBLE_COLLECTIONS_PATH and PYTHONPATH
# set, and removes the copy afterwards.
#   bash hacking/bench.sh probe                  endpoint_probe (needs the stock-Mac Python 3.9)
#   bash hacking/bench.sh firewall [rounds]      firewall role vs. ansible.builtin.iptables (as root: namespaces)
#   bash hacking/bench.sh lookup [--hosts 2000] [--rounds 2] [--forks 5]
#   bash hacking/bench.sh fleet [--hosts 1000 --hosts 10000] [--baseline 55c42ac] [--no-events]   readiness report at
#                                                fleet scale, then the job events of fleet-events (as root)
#   bash hacking/bench.sh fleet-events [--base 55c42ac] [--rounds 1]   job events and controller time per Mac of the
#                                                probe job, this tree beside a base commit (as root: namespaces, sshd)
#   bash hacking/bench.sh feeds [--rounds 3]       feed sets of every vendor from 2,500-10,000-entry user catalogs
# A dash in NAME stands for an underscore in the file name (fleet-events: fleet_events_benchmark.py).
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
names=$(cd "$repo_root/tests/benchmarks" && for f in *_benchmark.py; do f=${f%_benchmark.py}; echo "${f//_/-}"; done | paste -sd ' ')
name=${1:-}
script=${name//-/_}_benchmark.py
if [ -z "$name" ] || [ ! -f "$repo_root/tests/benchmarks/$script" ]; then
  echo "usage: bash hacking/bench.sh NAME [arguments], NAME one of: $names" >&2
  exit 2
fi
shift

# shellcheck source=hacking/bootstrap.sh
. "$repo_root/hacking/bootstrap.sh" bench
work=$(mktemp -d /tmp/macfleet-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash "$repo_root/hacking/collection-copy.sh" "$work"
# MACFLEET_REPO_ROOT: the git repository, for benchmarks that compare with a base commit (a temporary worktree).
export ANSIBLE_COLLECTIONS_PATH="$work" PYTHONPATH="$work" MACFLEET_REPO_ROOT="$repo_root"
cd "$work/ansible_collections/macfleet/apple_network"
python "tests/benchmarks/$script" "$@"
