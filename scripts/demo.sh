#!/usr/bin/env bash
# The demo: inspect and summarise the bundled sample images with the release binary.
set -euo pipefail
bin=${1:-.build/release/cohortex}
cd "$(dirname "$0")/.."
echo "== cohortex header sample-data/sub-demo_bold.nii.gz"
"$bin" header sample-data/sub-demo_bold.nii.gz
echo
echo "== cohortex stats (whole image, then within the brain mask)"
"$bin" stats sample-data/sub-demo_bold.nii.gz
"$bin" stats sample-data/sub-demo_bold.nii.gz --mask sample-data/sub-demo_mask.nii.gz --json
