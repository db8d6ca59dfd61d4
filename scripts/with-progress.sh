#!/bin/sh
# Runs a command and, while it runs, prints "<label>: still working, N s" to stderr every 8 s
# (BALLADOR_PROGRESS_EVERY seconds: under 10 even when a loaded machine delays the ticks), so a
# long set-up step (npm install compiling better-sqlite3) is never silent. Exits with the
# command's status.
# Usage: sh scripts/with-progress.sh "ballador setup: npm install" npm install ...
label=$1
shift
every=${BALLADOR_PROGRESS_EVERY:-8}
"$@" &
pid=$!
# One-second sleeps with their output on /dev/null: when the ticker is killed, no orphaned sleep
# keeps the caller's pipe open (a `npm run demo | tee` would otherwise wait for it).
start=$(date +%s)
(
  next=$every
  while sleep 1 </dev/null >/dev/null 2>&1; do
    elapsed=$(($(date +%s) - start))
    if [ "$elapsed" -ge "$next" ]; then
      echo "$label: still working, $elapsed s" >&2
      next=$((elapsed + every))
    fi
  done
) &
ticker=$!
wait "$pid"
code=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
exit "$code"
