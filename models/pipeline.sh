#!/bin/bash
# Builds the default voice end to end.
#   models/pipeline.sh --tiny   CI check: 2 speakers x 3 utterances, a few steps, export to a temp dir,
#                               load it back and check chunk invariance (about 1-2 minutes on 2 cores)
#   models/pipeline.sh --full   the shipped voice: corpus (~20 min), acoustic and vocoder trained side
#                               by side (~80 min), vocoder fine-tuned on predicted mels, export to
#                               models/voices/ttsd-en, evaluation (~15 min). About 2 h on 2 cores.
# Every step resumes: re-running continues where the last run stopped (delete models/work to restart).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mode=${1:---full}

case "$mode" in
  --tiny)
    # TINY_VOICE_OUT=DIR keeps the exported package there (the C++ test loads it with ttsd).
    T=$(mktemp -d "${TMPDIR:-/tmp}/ttsd-voice-tiny.XXXXXX")
    trap 'rm -rf "$T"' EXIT
    $PY models/corpus/make_corpus.py --out "$T/corpus" --cache "$T/cache" --speakers rms,kal16 \
        --per-speaker 3 --chunk 3
    $PY models/train/train_acoustic.py --small --cache "$T/cache" --dir "$T/acoustic" --max-steps 4 --every 2 --save-every 2 &
    a=$!
    $PY models/train/train_vocoder.py --small --cache "$T/cache" --dir "$T/vocoder" --max-steps 4 --every 2 --save-every 2 --batch 4
    wait $a
    $PY models/train/export.py --cache "$T/cache" --acoustic "$T/acoustic/acoustic.pt" \
        --vocoder "$T/vocoder/vocoder.pt" --out "$T/voice"
    $PY -c "import sys; sys.path.insert(0, 'models/eval'); from package import Package; \
p = Package('$T/voice'); a = p.synthesize('A tiny check.', p.speakers[-1]); \
assert len(a) > 0 and p.manifest['speakers'] == ['rms', 'kal16'], p.manifest; print('tiny pipeline OK:', len(a), 'samples')"
    if [ -n "${TINY_VOICE_OUT:-}" ]; then rm -rf "$TINY_VOICE_OUT"; cp -r "$T/voice" "$TINY_VOICE_OUT"; fi
    ;;
  --full)
    W=models/work
    mkdir -p $W
    AC_MIN=${AC_MIN:-80} VOC_MIN=${VOC_MIN:-80} VOC_STOP=${VOC_STOP:-58}
    $PY models/corpus/make_corpus.py --per-speaker 540 2>$W/corpus.err | tee $W/corpus.log
    $PY models/train/train_acoustic.py --minutes "$AC_MIN" > $W/acoustic.log 2>&1 &
    a=$!
    $PY models/train/train_vocoder.py --minutes "$VOC_MIN" --stop-minutes "$VOC_STOP" > $W/vocoder.log 2>&1
    $PY models/train/predict_mels.py --count 1500 > $W/predict.log 2>&1
    $PY models/train/train_vocoder.py --minutes "$VOC_MIN" --pred >> $W/vocoder.log 2>&1
    wait $a
    $PY models/train/export.py --default ${DEFAULT_SPEAKER:-hts-deep} | tee $W/export.log
    cp $W/acoustic/loss.png models/train/loss-acoustic.png
    cp $W/vocoder/loss.png models/train/loss-vocoder.png
    $PY models/eval/evaluate.py | tee $W/eval.log
    ;;
  *)
    echo "usage: $0 --tiny | --full" >&2
    exit 2
    ;;
esac
