#!/usr/bin/env bash
# tests/slurm/sweep_on_slurm.sh SPARSEAIE WORKDIR — `sparseaie sweep --backend slurm` for real:
# installs slurm-wlm and munge if missing (scripts/setup), starts a one-node Slurm cluster on this
# machine (scripts/slurm-local-cluster), runs a small sweep locally and as a job array through
# sbatch, and checks that the merged table equals the local one (compile/simulate wall-clock
# columns aside). Also: a rerun of the Slurm sweep reuses every point and submits nothing, and the
# local sweep's --plots wrote its three PNG plots (scripts/sweep-plots, matplotlib).
set -euo pipefail
SAIE=${1:?usage: sweep_on_slurm.sh SPARSEAIE WORKDIR}
WORK=${2:?usage: sweep_on_slurm.sh SPARSEAIE WORKDIR}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sbatch >/dev/null && command -v munged >/dev/null || "$REPO/scripts/setup" || fail "cannot install slurm-wlm and munge"
rm -rf "$WORK"
mkdir -p "$WORK"
cat >"$WORK/grid.json" <<'GRID'
{
  "description": "slurm backend test: reduced ResNet-50, a preset and an override, dense and sparse",
  "networks": [{"zoo": "resnet50", "width_div": 16, "input_size": 32}],
  "configs": ["paper-2x2", {"preset": "paper-2x2", "overrides": {"stream.bandwidth": "8GiB/s"}}],
  "sparsity": [0, 0.5],
  "simulate": {"random_inputs": 1, "timing_only": true}
}
GRID
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
"$SAIE" sweep "$WORK/grid.json" --out "$WORK/local" --plots >"$WORK/local.log" 2>&1 || fail "local sweep: $(tail -1 "$WORK/local.log")"
# --plots ran scripts/sweep-plots (matplotlib): three PNG files.
for p in time_vs_tiles speedup_vs_sparsity pareto; do
  f=$WORK/local/plots/$p.png
  [ -s "$f" ] && [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "no PNG $f: $(grep -h warning "$WORK/local.log" | tail -1)"
done

cluster=$WORK/cluster
trap '"$REPO/scripts/slurm-local-cluster" stop "$cluster" >/dev/null 2>&1 || true' EXIT
eval "$("$REPO/scripts/slurm-local-cluster" start "$cluster")" || fail "the one-node cluster did not start"
"$SAIE" sweep "$WORK/grid.json" --out "$WORK/slurm" --backend slurm >"$WORK/slurm.log" 2>&1 || fail "slurm sweep: $(tail -1 "$WORK/slurm.log")"
grep -q "submitting 4 array tasks" "$WORK/slurm.log" || fail "no job array was submitted: $(cat "$WORK/slurm.log")"
ls "$WORK/slurm/slurm/"task-*.log >/dev/null 2>&1 || fail "no array task logs"

python3 - "$WORK/local/results.csv" "$WORK/slurm/results.csv" <<'PY' || fail "the merged table differs from the local run's"
import csv, sys
def rows(p):
    rs = list(csv.DictReader(open(p)))
    for r in rs:
        r.pop("compile_s", None); r.pop("simulate_s", None)
    return rs
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if len(a) != 4 or a != b:
    print("local:", a, "\nslurm:", b, file=sys.stderr); sys.exit(1)
if any(r["status"] != "ok" for r in a):
    print("not every point ok:", a, file=sys.stderr); sys.exit(1)
PY

# A rerun reuses every point: nothing is submitted, the table is the same.
cp "$WORK/slurm/results.csv" "$WORK/first.csv"
"$SAIE" sweep "$WORK/grid.json" --out "$WORK/slurm" --backend slurm >"$WORK/rerun.log" 2>&1 || fail "slurm rerun: $(tail -1 "$WORK/rerun.log")"
grep -q "4 reused" "$WORK/rerun.log" || fail "the rerun did not reuse the points: $(tail -3 "$WORK/rerun.log")"
! grep -q "submitting" "$WORK/rerun.log" || fail "the rerun submitted again"
cmp -s "$WORK/first.csv" "$WORK/slurm/results.csv" || fail "the rerun changed the table"
echo "PASS: slurm sweep (4 points, job array of 4) equals the local sweep; a rerun reuses every point"
