#!/usr/bin/env bash
# The demo: the pipeline on a small study in fMRIPrep's layout (written by `cohortex simulate`):
# participant level (seed maps, regional GM, QC), a rerun that finds everything up to date, then the
# group level (pain vs control, both directions). Outputs go to ./demo-output (a BIDS derivatives dataset).
set -euo pipefail
bin=${1:-.build/release/cohortex}
cd "$(dirname "$0")/.."
out=demo-output
rm -rf "$out"
mkdir -p "$out"
echo "== cohortex simulate: 12 participants (pain and control), one with two sessions, one with two runs"
"$bin" simulate "$out/study" --participants 12 --seed 2026 --shape 20,24,20 --voxel-size 7 --volumes 150 | tail -n 1
echo
echo "== cohortex pipelines"
"$bin" pipelines
echo
echo "== cohortex run … participant --pipeline pain-structure-function --dry-run (the plan; nothing written)"
"$bin" run "$out/study" "$out/derivatives" participant --pipeline pain-structure-function --dry-run | head -n 12
echo "   …"
echo
echo "== cohortex run … participant (2 jobs at once)"
"$bin" run "$out/study" "$out/derivatives" participant --pipeline pain-structure-function --jobs 2 -q
echo
echo "== the same command again: every job is up to date, nothing is rewritten"
"$bin" run "$out/study" "$out/derivatives" participant --pipeline pain-structure-function -q | tail -n 1
echo
echo "== cohortex run … group (session 1 for the participant with two sessions)"
"$bin" run "$out/study" "$out/derivatives" group --pipeline pain-structure-function --session-label 1 -q
echo
echo "Outputs: $out/derivatives (per participant: sub-*/func, sub-*/anat; group models: group/model-*)"
