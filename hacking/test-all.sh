#!/usr/bin/env bash
# Runs every test of the collection on a fresh Debian machine: installs what it needs first.
#   bash hacking/test-all.sh                 all stages
#   STAGES="units-2.19 integration" bash hacking/test-all.sh
#   STAGES="sanity units" bash hacking/test-all.sh      sanity and units on every tested ansible-core release
# The standard sessions run with nox (noxfile.py, antsibull-nox.toml): sanity-RELEASE and units-RELEASE for each row of
# core_matrix in antsibull-nox.toml, ansible-lint, docs-check, build-import-check. The other stages need this machine
# (namespaces, Debian packages) or the main venv: changelog, integration, docs-site, build-installed, system.
# The system stage (the longest, mostly waiting on servers and timeouts) runs in the background, under
# flock /tmp/macfleet-system.lock (one system-test run at a time on this machine), while the other stages run in turn
# at a lower CPU priority (nice), so the system tests' timeouts are not eaten by pylint. None of the other stages runs
# iptables, ufw or firewalld (their lock, /run/xtables.lock, is one per machine, not per namespace).
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
nox_stages=" $(per_release sanity)$(per_release units)ansible-lint docs-check build-import-check "
all_stages="system changelog $(per_release sanity)$(per_release units)ansible-lint docs-check build-import-check integration"
all_stages="$all_stages docs-site build-installed"
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
export ANSIBLE_NOCOLOR=1 PY_COLORS=0 NO_COLOR=1
export MACFLEET_REPO_ROOT="$repo_root" MACFLEET_TEST_WORKDIR="$work"
cd "$collection" || exit 1

# nox keeps its session venvs beside the main venv, so a second run reuses them (pip only checks the pins).
nox_session() {
  "${background_nice[@]}" nox --noxfile "$repo_root/noxfile.py" --envdir "$cache_root/nox" --reuse-venv yes --no-color -s "$1"
}
# The stages that use the installed collection from the scratch copy.
with_copy() {
  ANSIBLE_COLLECTIONS_PATH="$work" "$@"
}
# integration: ansible-test --local creates no venv, but bootstraps pip where it needs one (hacking/get_pip_stand_in.py).
integration() {
  python "$repo_root/hacking/get_pip_stand_in.py" --install >/dev/null &&
    with_copy "${background_nice[@]}" ansible-test integration --local --python "$newest_python" --color no --allow-destructive
}
# The system stage runs in a copy of its own: the stages beside it write into theirs (ansible-test's tests/output),
# and the system tests check that their jobs write nothing into the installed collection.
system_tests() {
  local lock=() system_work="$work/system"
  if command -v flock >/dev/null 2>&1; then lock=(flock --verbose /tmp/macfleet-system.lock); fi
  bash "$repo_root/hacking/collection-copy.sh" "$system_work" &&
    cd "$system_work/ansible_collections/macfleet/apple_network" &&
    ANSIBLE_COLLECTIONS_PATH="$system_work" "${lock[@]}" python -m pytest -p no:cacheprovider -q --durations=25 tests/system
}

passed=0 failed=0 failed_names=""
record() {
  local name=$1 rc=$2 seconds=$3
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); echo "=== stage $name passed ($seconds s)"
  else
    failed=$((failed + 1)); failed_names="$failed_names $name"; echo "=== stage $name FAILED ($seconds s)"
  fi
}
run_stage() {
  local name=$1; shift
  echo "=== stage $name: $*"
  local start=$SECONDS
  "$@"
  record "$name" $? $((SECONDS - start))
}

system_pid="" system_log="$work/system.log"
finish_system() {
  [ -n "$system_pid" ] || return 0
  wait "$system_pid"
  echo "=== stage system: pytest tests/system"
  cat "$system_log"
  record system "$(cat "$work/system.rc" 2>/dev/null || echo 1)" $((SECONDS - system_start))
  system_pid=""
}
background_nice=()
for stage in $stages; do
  case $stage in
    system)
      echo "=== stage system started in the background (output at its end; log $system_log)"
      system_start=$SECONDS
      { system_tests >"$system_log" 2>&1; echo $? >"$work/system.rc"; } &
      system_pid=$!
      background_nice=(nice -n 15)
      ;;
    changelog) run_stage changelog "${background_nice[@]}" antsibull-changelog lint ;;
    integration) run_stage integration integration ;;
    docs-site) run_stage docs-site "${background_nice[@]}" env ANSIBLE_COLLECTIONS_PATH="$work" bash hacking/build-docs.sh "$work/docsite" ;;
    build-installed) run_stage build-installed "${background_nice[@]}" bash tests/installed/run.sh "$work/installed" ;;
    *)
      if [[ $nox_stages == *" $stage "* ]]; then
        run_stage "$stage" nox_session "$stage"
      else
        echo "unknown stage $stage (stages: $all_stages; sanity and units stand for every release's)"
        failed=$((failed + 1)); failed_names="$failed_names $stage"
      fi
      ;;
  esac
done
finish_system
rm -f "$HOME/antsibull.log"
echo "stages:${failed_names:+ failed:$failed_names}"
echo "total: $((SECONDS - total_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
