#!/usr/bin/env bash
# Runs every test of the collection on a fresh Debian machine: installs what it needs first.
#   bash hacking/test-all.sh                 all stages
#   STAGES="units-2.19 integration" bash hacking/test-all.sh
#   STAGES="sanity units" bash hacking/test-all.sh      sanity and units on every tested ansible-core release
# Sanity and units run on each ansible-core release of the matrix in hacking/bootstrap.sh (sanity-2.19, units-2.19,
# ...); the other stages run on the newest release, in the main venv.
set -uo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
total_start=$SECONDS
# shellcheck source=hacking/bootstrap.sh
. "$repo_root/hacking/bootstrap.sh" full || { echo "bootstrap failed"; exit 1; }
set +e
echo "=== bootstrap done ($((SECONDS - total_start)) s)"

releases=()
for row in "${core_matrix[@]}"; do
  read -r release _ <<<"$row"
  releases+=("$release")
done
per_release() {
  local release
  for release in "${releases[@]}"; do printf '%s-%s ' "$1" "$release"; done
}
all_stages="changelog $(per_release sanity)$(per_release units)integration lint docs-lint docs-site build-installed system"
stages=""
for stage in ${STAGES:-$all_stages}; do
  case $stage in
    sanity|units) stages="$stages $(per_release "$stage")" ;;
    *) stages="$stages $stage" ;;
  esac
done
work=${MACFLEET_TEST_WORKDIR:-$(mktemp -d /tmp/macfleet-tests.XXXXXX)}
bash "$repo_root/hacking/collection-copy.sh" "$work"
collection="$work/ansible_collections/macfleet/apple_network"
export ANSIBLE_COLLECTIONS_PATH="$work"
export ANSIBLE_NOCOLOR=1 PY_COLORS=0
export MACFLEET_REPO_ROOT="$repo_root" MACFLEET_TEST_WORKDIR="$work"
cd "$collection" || exit 1

ansible_package_collections=$("$MACFLEET_ANSIBLE12_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# with_core RELEASE COMMAND...: runs COMMAND with that ansible-core release's venv first on PATH.
with_core() {
  local venv
  venv=$(core_venv "$1"); shift
  PATH="$venv/bin:$PATH" "$@"
}

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
  release=${stage#*-}
  case $stage in
    changelog) run_stage changelog antsibull-changelog lint ;;
    sanity-*|units-*)
      if ! python=$(core_python "$release"); then
        echo "unknown stage $stage (tested ansible-core releases: ${releases[*]})"
        failed=$((failed + 1)); failed_names="$failed_names $stage"; continue
      fi
      case $stage in
        sanity-*) run_stage "$stage" with_core "$release" ansible-test sanity --local --python "$python" --color no -v ;;
        units-*) run_stage "$stage" with_core "$release" ansible-test units --local --python "$python" --color no ;;
      esac
      ;;
    integration) run_stage integration ansible-test integration --local --python "$newest_python" --color no --allow-destructive ;;
    # The example playbooks (playbooks/examples/) use ansible.posix and community.general: ansible-lint resolves them
    # from the community ansible package's venv (hacking/bootstrap.sh install_ansible_package_venv).
    lint) run_stage lint env ANSIBLE_COLLECTIONS_PATH="$work:$ansible_package_collections" ansible-lint --profile production ;;
    docs-lint) run_stage docs-lint antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck --validate-collection-refs=self . ;;
    docs-site) run_stage docs-site bash hacking/build-docs.sh "$work/docsite" ;;
    build-installed) run_stage build-installed bash tests/installed/run.sh "$work/installed" ;;
    system) run_stage system python -m pytest -p no:cacheprovider -q tests/system ;;
    *) echo "unknown stage $stage"; failed=$((failed + 1)); failed_names="$failed_names $stage" ;;
  esac
done
rm -f "$HOME/antsibull.log"
echo "stages:${failed_names:+ failed:$failed_names}"
echo "total: $((SECONDS - total_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
