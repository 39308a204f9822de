#!/usr/bin/env bash
# Runs every test of the collection on a fresh Debian machine: installs what it needs first.
#   bash hacking/test-all.sh                 all stages
#   STAGES="units integration" bash hacking/test-all.sh
set -uo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hacking/bootstrap.sh
. "$repo_root/hacking/bootstrap.sh" full || { echo "bootstrap failed"; exit 1; }

all_stages="changelog sanity units integration lint docs-lint docs-site build-installed system"
stages=${STAGES:-$all_stages}
work=${MACFLEET_TEST_WORKDIR:-$(mktemp -d /tmp/macfleet-tests.XXXXXX)}
bash "$repo_root/hacking/collection-copy.sh" "$work"
collection="$work/ansible_collections/macfleet/apple_network"
export ANSIBLE_COLLECTIONS_PATH="$work"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
export MACFLEET_REPO_ROOT="$repo_root" MACFLEET_TEST_WORKDIR="$work"
cd "$collection" || exit 1

passed=0 failed=0 failed_names=""
run_stage() {
  local name=$1; shift
  echo "=== stage $name: $*"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); echo "=== stage $name passed ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1)); failed_names="$failed_names $name"; echo "=== stage $name FAILED ($((SECONDS - start)) s)"
  fi
}

for stage in $stages; do
  case $stage in
    changelog) run_stage changelog antsibull-changelog lint ;;
    sanity) run_stage sanity ansible-test sanity --local --python 3.11 --color no -v ;;
    units) run_stage units ansible-test units --local --python 3.11 --color no ;;
    integration) run_stage integration ansible-test integration --local --python 3.11 --color no --allow-destructive ;;
    lint) run_stage lint ansible-lint --profile production ;;
    docs-lint) run_stage docs-lint antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck --validate-collection-refs=self . ;;
    docs-site) run_stage docs-site bash hacking/build-docs.sh "$work/docsite" ;;
    build-installed) run_stage build-installed bash tests/installed/run.sh "$work/installed" ;;
    system) run_stage system python -m pytest -p no:cacheprovider -q tests/system ;;
    *) echo "unknown stage $stage"; failed=$((failed + 1)) ;;
  esac
done
rm -f "$HOME/antsibull.log"
echo "stages:${failed_names:+ failed:$failed_names}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
