#!/usr/bin/env bash
# Runs one fuzz target on its scratch corpus (fuzz/corpus/<target>, ignored by
# git) seeded from fuzz/seeds/<target> (committed, read only).
#   fuzz/run.sh TARGET [RUNS]        (default 1000000 executions)
# Environment: TOOLCHAIN=nightly (default; AddressSanitizer) or
# TOOLCHAIN=stable (no sanitizer: cargo-fuzz's -s none).
set -euo pipefail
target=${1:?usage: fuzz/run.sh TARGET [RUNS]}
runs=${2:-1000000}
cd "$(dirname "$0")/.."
mkdir -p "fuzz/corpus/$target"
seeds=()
seed_dir=fuzz/seeds/$target
[ "$target" = read_tensors ] && seed_dir=fuzz/seeds/load_network
[ -d "$seed_dir" ] && seeds=("$seed_dir")
case "${TOOLCHAIN:-nightly}" in
  nightly) tc=(+nightly); san=() ;;
  stable) tc=(); san=(-s none) ;;
  *) echo "TOOLCHAIN must be nightly or stable" >&2; exit 2 ;;
esac
dict=()
case "$target" in load_network|read_tensors) dict=(-dict=fuzz/dicts/safetensors.dict) ;; esac
case "$target" in read_ticket) dict=(-dict=fuzz/dicts/safetensors.dict) ;; esac
case "$target" in import_onnx) dict=(-dict=fuzz/dicts/onnx.dict) ;; esac
exec cargo "${tc[@]}" fuzz run "${san[@]}" "$target" \
  "fuzz/corpus/$target" "${seeds[@]}" -- -runs="$runs" -print_final_stats=1 -timeout=10 "${dict[@]}"
