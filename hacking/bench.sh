#!/usr/bin/env bash
# Runs one benchmark (tests/benchmarks/NAME_benchmark.py) from the repository root. Installs what it needs (the main
# venv, the stock-Mac Python; Debian packages as root), copies the collection to a scratch
# .../ansible_collections/macfleet/apple_network, runs the script there with ANSIBLE_COLLECTIONS_PATH and PYTHONPATH
# set, and removes the copy afterwards.
#   bash hacking/bench.sh probe                  endpoint_probe (needs the stock-Mac Python 3.9)
#   bash hacking/bench.sh firewall [rounds]      firewall role vs. ansible.builtin.iptables (as root: namespaces)
#   bash hacking/bench.sh lookup [--hosts 2000] [--rounds 2] [--forks 5]
#   bash hacking/bench.sh feeds [--rounds 3]       feed sets of every vendor from 2,500-10,000-entry user catalogs
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
names=$(cd "$repo_root/tests/benchmarks" && for f in *_benchmark.py; do echo "${f%_benchmark.py}"; done | paste -sd ' ')
name=${1:-}
if [ -z "$name" ] || [ ! -f "$repo_root/tests/benchmarks/${name}_benchmark.py" ]; then
  echo "usage: bash hacking/bench.sh NAME [arguments], NAME one of: $names" >&2
  exit 2
fi
shift

# shellcheck source=hacking/bootstrap.sh
. "$repo_root/hacking/bootstrap.sh" bench
work=$(mktemp -d /tmp/macfleet-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash "$repo_root/hacking/collection-copy.sh" "$work"
export ANSIBLE_COLLECTIONS_PATH="$work" PYTHONPATH="$work"
cd "$work/ansible_collections/macfleet/apple_network"
python "tests/benchmarks/${name}_benchmark.py" "$@"
