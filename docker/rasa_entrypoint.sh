#!/bin/sh
# Rasa container entry point: install the image's model into the models volume, then serve.
#
# The volume keeps the model across restarts and lets an operator drop in a retrained
# haki-nlu.tar.gz without rebuilding. A new image (a model trained from new data) always
# replaces what the volume holds: .installed-from-image records which image model is there.
set -eu

models=/app/models
baked=/opt/haki-model
if [ "$(cat "$models/.installed-from-image" 2>/dev/null || true)" != "$(cat "$baked/haki-nlu.sha256")" ]; then
    cp "$baked/haki-nlu.tar.gz" "$models/.haki-nlu.tar.gz.tmp"
    mv "$models/.haki-nlu.tar.gz.tmp" "$models/haki-nlu.tar.gz"
    cp "$baked/haki-nlu.sha256" "$models/.installed-from-image"
    echo "rasa: installed the image's model into $models"
fi

# exec: rasa becomes the process tini signals, so `docker stop` shuts it down cleanly.
exec rasa run --enable-api --model "$models/haki-nlu.tar.gz" \
    --interface 0.0.0.0 --port "${RASA_PORT:-5005}" "$@"
