#!/bin/bash
# Builds the default voice end to end.
#   models/pipeline.sh --tiny   CI check: 2 speakers x 3 utterances, a few steps, export to a temp dir,
#                               load it back and check chunk invariance (about 1-2 minutes on 2 cores)
#   models/pipeline.sh --full   the shipped voice: corpus (~20 min), acoustic and vocoder trained side
#                               by side (~80 min), vocoder fine-tuned on predicted mels; style corpus
#                               (~10 min) and style fine-tuning (speaker encoder, emotion; ~70 min);
#                               export to models/voices/ttsd-en, evaluation (~25 min). About 3.5 h on 2 cores.
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
    $PY models/corpus/make_style_corpus.py --out "$T/corpus-style" --cache "$T/cache-style" --speakers kal16,slt-120 \
        --neutral 2 --per-emotion 1 --chunk 4
    (cd models/train && $PY train_style.py --small --caches "$T/cache,$T/cache-style" --init "$T/acoustic/acoustic.pt" \
        --dir "$T/style" --max-steps 4 --every 2 --save-every 2)
    (cd models/train && $PY export_style.py --caches "$T/cache,$T/cache-style" --style "$T/style/style.pt" \
        --vocoder "$T/vocoder/vocoder.pt" --out "$T/voice")
    $PY -c "import sys, torch; sys.path.insert(0, 'models/eval'); from package import Package; \
p = Package('$T/voice'); e = torch.zeros(1, 8); e[0, 1] = 1; a = p.synthesize('A tiny check.', p.speakers[-1], emotion=e); \
s = p.optional['speaker_encoder'](torch.from_numpy(a)[None]); b = p.synthesize('A clone.', speaker_vec=s); \
assert len(a) > 0 and len(b) > 0 and p.manifest['speakers'] == ['rms', 'kal16', 'slt-120'], p.manifest; \
print('tiny pipeline OK:', len(a), len(b), 'samples')"
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
    $PY models/corpus/make_style_corpus.py --neutral 50 --per-emotion 8 2>$W/style-corpus.err | tee $W/style-corpus.log
    (cd models/train && $PY train_style.py --minutes "${STYLE_MIN:-70}" > ../work/style.log 2>&1)
    (cd models/train && $PY train_emotion_encoder.py --minutes 8 > ../work/emotion.log 2>&1)
    (cd models/train && $PY export_style.py --default ${DEFAULT_SPEAKER:-hts-deep}) | tee $W/export.log
    cp $W/acoustic/loss.png models/train/loss-acoustic.png
    cp $W/vocoder/loss.png models/train/loss-vocoder.png
    cp $W/style/loss.png models/train/loss-style.png
    $PY models/eval/evaluate.py | tee $W/eval.log
    ninja -C build ttsd ttsc >/dev/null
    $PY models/eval/evaluate_style.py | tee $W/eval-style.log
    ;;
  *)
    echo "usage: $0 --tiny | --full" >&2
    exit 2
    ;;
esac
