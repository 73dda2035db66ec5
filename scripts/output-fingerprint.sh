#!/usr/bin/env bash
# Runs every command on the bundled sample data and on generated test fixtures, then prints the
# SHA-256 of every NIfTI and TSV output (sidecars listed separately, without their hashes: their
# keys may change between versions). Used to show that a refactoring leaves every number unchanged:
#   scripts/output-fingerprint.sh OLD_BINARY /tmp/before > before.txt
#   scripts/output-fingerprint.sh NEW_BINARY /tmp/after  > after.txt
#   diff before.txt after.txt
# Needs the reference environment (.venv, made by `make test`) for the fixtures.
set -euo pipefail
bin=$(realpath "$1")
work=$2
root=$(cd "$(dirname "$0")/.." && pwd)
python=${COHORTEX_PYTHON:-$root/.venv/bin/python}
rm -rf "$work"
mkdir -p "$work/fx" "$work/gx" "$work/out"
cd "$work"

"$python" "$root/Tests/Reference/fc_reference.py" make-run fx --frames 150 --seed 3 --size small >/dev/null
"$python" "$root/Tests/Reference/gm_reference.py" make-maps gx 2 >/dev/null
bold=$(ls fx/*_desc-preproc_bold.nii.gz | head -1)
conf=$(ls fx/*_desc-confounds_timeseries.tsv | head -1)
mask=$(ls fx/*_desc-brain_mask.nii.gz | head -1)
atlas=fx/atlas.nii.gz
labels=fx/atlas_labels.tsv
sample=$root/sample-data/sub-demo_bold.nii.gz
smask=$root/sample-data/sub-demo_mask.nii.gz

run() { echo "\$ cohortex $*" >> log.txt; "$bin" "$@" >> log.txt 2>&1 || echo "exit $? for: $*" >> log.txt; }

# Sample data.
run smooth "$sample" out/sample_s6.nii.gz --fwhm 6
run alff --bold "$sample" --mask "$smask" --out-alff out/sample_alff.nii.gz --out-falff out/sample_falff.nii.gz \
    --out-malff out/sample_malff.nii.gz --out-zalff out/sample_zalff.nii.gz --out-mfalff out/sample_mfalff.nii.gz --out-zfalff out/sample_zfalff.nii.gz
run reho --bold "$sample" --mask "$smask" --out out/sample_reho.nii.gz --out-zreho out/sample_zreho.nii.gz
run seed-map --bold "$sample" --mask "$smask" --sphere C:0,-18,0,12 --out-z out/sample_seed_z.nii.gz --out-r out/sample_seed_r.nii.gz

# fMRIPrep-like run with confounds.
run seed-map --bold "$bold" --mask "$mask" --confounds "$conf" --strategy 24P --fd-threshold 0.5 --high-pass 0.01 --low-pass 0.1 \
    --sphere PAG:0,-30,-10,6 --sphere mPFC:0,50,0,8 --out-z 'out/fc_seed-{seed}_z.nii.gz' --out-r 'out/fc_seed-{seed}_r.nii.gz'
run seed-map --bold "$bold" --mask "$mask" --confounds "$conf" --strategy 36P --smoothing-fwhm 6 \
    --sphere PAG:0,-30,-10,6 --out-z out/fc_smooth_z.nii.gz
  run conmat --bold "$bold" --atlas "$atlas" ${labels:+--labels "$labels"} --confounds "$conf" --strategy 24P --high-pass 0.01 --low-pass 0.1 \
      --out out/fc_conmat.tsv --out-timeseries out/fc_conmat_series.tsv
  run conmat --bold "$bold" --atlas "$atlas" --confounds "$conf" --strategy acompcor --kind partial --estimator ledoit-wolf --out out/fc_partial.tsv
run alff --bold "$bold" --mask "$mask" --confounds "$conf" --strategy 6P --out-alff out/fc_alff.nii.gz --out-falff out/fc_falff.nii.gz
run reho --bold "$bold" --mask "$mask" --confounds "$conf" --strategy 6P --high-pass 0.01 --low-pass 0.1 --neighbourhood 19 --out out/fc_reho.nii.gz
run smooth "$bold" out/fc_s4.nii --fwhm 4

# Gray matter.
gm=gx/gm.nii.gz wm=gx/wm.nii.gz csf=gx/csf.nii.gz gatlas=gx/atlas_oblique.nii.gz
run gm-volume --gm "$gm" --wm "$wm" --csf "$csf" --atlas gx/atlas.nii.gz --labels gx/labels.tsv --out out/gm_one.tsv
run gm-volume --gm "$gm" --sphere dlPFC:-42,36,28,10 --sphere THA:-10,-18,8,8 --out out/gm_spheres.tsv
mkdir -p fx/c
for s in 01 02 03 04 05 06; do
  "$python" "$root/Tests/Reference/gm_reference.py" scaled "$gm" "fx/c/sub-${s}_gm.nii.gz" "0.$((80 + 3 * 10#$s))" >/dev/null
done
run gm-volume $(for s in 01 02 03 04 05 06; do echo --gm fx/c/sub-${s}_gm.nii.gz; done) --atlas "$gatlas" --out-dir out/gmcohort

# Group statistics on the cohort table and on maps.
printf 'participant_id\tgroup\tage\nsub-01\tpain\t40\nsub-02\tcontrol\t35\nsub-03\tpain\t51\nsub-04\tcontrol\t47\nsub-05\tpain\t38\nsub-06\tcontrol\t60\n' > fx/participants.tsv
run glm --participants fx/participants.tsv --model "~ group + age" --contrast pain-control --contrast 'F(group, age)' \
    --table out/gmcohort/gmvol.tsv --permutations 99 --out out/glm_table
mkdir -p fx/maps
for s in 01 02 03 04 05 06; do
  "$python" "$root/Tests/Reference/gm_reference.py" scaled "$gm" "fx/maps/sub-${s}_map.nii.gz" "0.$((70 + 5 * 10#$s))" >/dev/null
done
run glm --participants fx/participants.tsv --model "~ group" --contrast pain-control --maps 'fx/maps/sub-*_map.nii.gz' \
    --permutations 49 --tfce --two-sided --out out/glm_maps

cd out
find . -type f \( -name '*.nii' -o -name '*.nii.gz' -o -name '*.tsv' \) | LC_ALL=C sort | xargs sha256sum
echo "sidecars:"
find . -type f -name '*.json' | LC_ALL=C sort
echo "errors:"
grep '^exit' ../log.txt || true
