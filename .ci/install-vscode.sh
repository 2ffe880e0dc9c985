#!/usr/bin/env bash
# Installs what the VS Code end-to-end test needs, and builds the extension's .vsix:
#   - Debian packages: Chromium and its headless shell (driven by Playwright) and the headers
#     code-server's native modules build against;
#   - code-server 4.100.3 (the last release that runs on Node 20), installed from the npm
#     registry step by step, because its own install script downloads ripgrep and friends;
#     it is cached outside the repository, in $PLAN_LS_CI_DIR (default /opt/plan-ls-ci), so a
#     rerun on the same machine takes seconds;
#   - the extension's node modules (npm ci) and client-vscode/plan-ls.vsix (npm run package:
#     typecheck, eslint, unit tests, bundle).
# Idempotent and quiet; prints one line per stage with its duration.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
CI_DIR=${PLAN_LS_CI_DIR:-/opt/plan-ls-ci}
CS_DIR="$CI_DIR/code-server-$CODE_SERVER_VERSION"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_DIR="$CI_DIR/logs"
mkdir -p "$LOG_DIR"

stage_start=0
stage() { stage_start=$SECONDS; printf 'install-vscode: %s ... ' "$1"; }
done_() { echo "ok ($((SECONDS - stage_start)) s)"; }
run() { # run a command, keep its output in a log, show the log's tail if it fails
  local log="$LOG_DIR/$1.log"; shift
  if ! "$@" >"$log" 2>&1; then
    echo "FAILED: $*"; tail -40 "$log"; exit 1
  fi
}

# --- 1. Debian packages --------------------------------------------------------------------
APT_PKGS=(chromium chromium-headless-shell ripgrep build-essential libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
stage "debian packages"
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  run apt-update apt-get update -q
  run apt-install apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
done_

# --- 2. code-server, cached ----------------------------------------------------------------
stage "code-server $CODE_SERVER_VERSION in $CS_DIR"
if [[ ! -f "$CS_DIR/.complete" ]]; then
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  cd "$CS_DIR"
  echo '{"name":"plan-ls-ci-code-server","private":true}' >package.json
  run cs-npm npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION"
  VS="$CS_DIR/node_modules/code-server/lib/vscode"
  cd "$VS"
  run cs-vscode-npm npm install --no-audit --no-fund --omit=dev --ignore-scripts
  # ripgrep: its post-install step would download a binary; Debian's rg does the same job
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  # native modules; node-pty's post-install fails after its .node file is built, so check the
  # file rather than the exit code
  npm rebuild kerberos @vscode/spdlog native-watchdog node-pty >"$LOG_DIR/cs-rebuild.log" 2>&1 || true
  for f in node_modules/@vscode/spdlog/build/Release/spdlog.node \
           node_modules/native-watchdog/build/Release/watchdog.node \
           node_modules/node-pty/build/Release/pty.node; do
    [[ -f "$f" ]] || { echo "FAILED: native module $f not built"; tail -40 "$LOG_DIR/cs-rebuild.log"; exit 1; }
  done
  ln -sfn node_modules node_modules.asar
  (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
  (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
  (cd extensions && run cs-extensions-npm npm install --no-audit --no-fund --omit=dev --ignore-scripts)
  cd "$CS_DIR"
  run cs-argon2 npm rebuild argon2 --build-from-source
  "$CS_DIR/node_modules/.bin/code-server" --version >/dev/null
  touch "$CS_DIR/.complete"
fi
# a stable path for the tests (they also accept $PLAN_LS_CODE_SERVER)
ln -sfn "$CS_DIR/node_modules/.bin/code-server" "$CI_DIR/code-server"
done_

# --- 3. the extension ----------------------------------------------------------------------
stage "client-vscode node modules"
cd "$REPO/client-vscode"
stamp=node_modules/.plan-ls-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  run ext-npm-ci npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
done_

stage "client-vscode lint, unit tests + plan-ls.vsix"
run ext-package npm run --silent package
[[ -f plan-ls.vsix ]] || { echo "FAILED: no plan-ls.vsix"; exit 1; }
done_
# the extension's unit tests ran inside `npm run package`; their counts, for the CI log
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$LOG_DIR/ext-package.log" | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$LOG_DIR/ext-package.log" | tail -1)
echo "install-vscode: client-vscode unit tests (node --test): ${pass:-?} passed, ${fail:-?} failed"
