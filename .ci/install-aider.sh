#!/usr/bin/env bash
# Installs Aider (aider-chat from PyPI) in its OWN virtual environment, so that its many
# dependencies (litellm, numpy, tree-sitter, ...) stay out of plan-ls's .venv. The real-agent
# test (tests/test_run_aider.py) runs `plan-ls run --agent aider` with this Aider against the
# fake OpenAI-compatible endpoint (tests/fake_openai.py); it skips when the venv is absent.
#
# The venv goes to $PLAN_LS_AIDER_VENV, default $PLAN_LS_CI_DIR/aider-$VERSION (default
# /opt/plan-ls-ci), outside the repository; the test finds it the same way. Idempotent and
# quiet: a rerun with the venv in place takes a second.
set -euo pipefail

AIDER_VERSION=0.86.2
CI_DIR=${PLAN_LS_CI_DIR:-/opt/plan-ls-ci}
VENV=${PLAN_LS_AIDER_VENV:-$CI_DIR/aider-$AIDER_VERSION}
LOG_DIR="$CI_DIR/logs"
mkdir -p "$LOG_DIR"

if [ -x "$VENV/bin/aider" ] && "$VENV/bin/python" -c "import aider" 2>/dev/null; then
  echo "install-aider: aider $AIDER_VERSION in $VENV (cached)"
  exit 0
fi
start=$SECONDS
printf 'install-aider: aider-chat %s into %s ... ' "$AIDER_VERSION" "$VENV"
log="$LOG_DIR/aider.log"
if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --upgrade pip \
       && "$VENV/bin/pip" install -q "aider-chat==$AIDER_VERSION"; } >"$log" 2>&1; then
  # the real-agent test skips without it: a registry hiccup must not fail the whole CI
  echo "FAILED (tests/test_run_aider.py will skip)"; tail -40 "$log"; rm -rf "$VENV"; exit 0
fi
echo "ok ($((SECONDS - start)) s)"
