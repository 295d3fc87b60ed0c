#!/usr/bin/env bash
# One entry point for a fresh machine:
#   ./dev.sh app    set up .venv and serve the app on http://localhost:8501 (localhost only; --expose HOST)
#   ./dev.sh test   set up .venv (and chromium if missing) and run every check and test
# Other commands: ./dev.sh setup | ./dev.sh cli ARGS...
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export TOKENIZERS_PARALLELISM=false
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export PIP_DISABLE_PIP_VERSION_CHECK=1

find_python() {
  for cand in "${PYTHON:-}" python3.11 python3; do
    [ -n "$cand" ] || continue
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$cand"; return 0
    fi
  done
  echo "error: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

setup() {
  local py stamp want
  if [ ! -x "$VENV/bin/python" ]; then
    py=$(find_python)
    echo "==> creating $VENV"
    "$py" -m venv "$VENV"
  fi
  stamp="$VENV/.tricks-kb-installed"
  want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    echo "==> installing CPU torch first, then the locked dependencies"
    "$VENV/bin/python" -m pip install --quiet "torch==2.13.0"
    "$VENV/bin/python" -m pip install --quiet -r requirements.lock
    "$VENV/bin/python" -m pip install --quiet --no-deps -e .
    echo "$want" > "$stamp"
  fi
  # The model's ONNX export for torch-free queries, in ~/.cache/tricks-kb (or $TRICKS_KB_CACHE); a quick
  # check when it is already there. Without it, searches still work through torch, only slower to start.
  "$VENV/bin/python" -m tricks_kb.embed_onnx || echo "warning: no ONNX export; queries will use torch" >&2
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "==> installing Debian chromium for the browser tests"
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  setup)
    setup ;;
  app)
    # Binds localhost only (.streamlit/config.toml). To serve other machines:
    #   ./dev.sh app --expose HOSTNAME   (listens on every interface, accepts only Host: HOSTNAME or localhost)
    setup
    if [ ! -f index/manifest.json ]; then "$VENV/bin/tricks-kb" build; fi
    exec "$VENV/bin/python" -m tricks_kb.ui.serve serve.py "$@" ;;  # --expose HOST, other flags: .streamlit/config.toml
  test)
    setup
    ensure_chromium
    echo "==> validate catalog";        "$VENV/bin/tricks-kb" validate --no-warnings
    echo "==> schema is generated";     "$VENV/bin/tricks-kb" schema --check
    echo "==> catalog is formatted";    "$VENV/bin/tricks-kb" fmt --check
    echo "==> index is fresh";          "$VENV/bin/tricks-kb" build --check
    echo "==> ruff";                    "$VENV/bin/ruff" check src tests bench app.py serve.py
    echo "==> pytest"
    # pytest exits 5 when it collects nothing: set -e makes that a failure too.
    "$VENV/bin/python" -m pytest "$@" ;;
  cli)
    setup
    exec "$VENV/bin/tricks-kb" "$@" ;;
  *)
    sed -n '2,5p' "$0"; exit 2 ;;
esac
