/**
 * The `ballador` command on every agent's PATH (spec 0018). It is a POSIX shell script: `done`,
 * `blocked`, `note`, `approve` and `request-changes` inside a run go to the run's supervisor
 * through the run folder (a request in the inbox, the answer in the host-only answers/ folder)
 * without starting Node; everything else, and any form the script does not take on itself
 * (--json, --help, `--`, an option it does not know), runs the Node CLI as before, and so does
 * a run whose supervisor has no report desk (no answers/ folder). The script judges nothing:
 * the supervisor refuses, words every message, and asks for the worktree checks (uncommitted
 * changes, the verify gate), which the script runs here, as the agent, as the CLI always has.
 */
import { shellQuote } from "../core/shell.js";

/** Seconds the helper waits for each of the supervisor's answers (BALLADOR_REPORT_WAIT: other). */
export const ANSWER_WAIT_SECONDS = 60;

export function reportShim(node: string, cli: string): string {
  return `#!/bin/sh
# Ballador (spec 0018): reports from inside a run without starting Node; all else: the Node CLI.
node=${shellQuote(node)}
cli=${shellQuote(cli)}
${SCRIPT}`;
}

/** The script after its two variables: what the helper does (see the file's comment). */
const SCRIPT = `run=\${BALLADOR_RUN_DIR-}
cli() { exec "$node" "$cli" "$@"; }
case \${1-} in
done | blocked | note | approve | request-changes) ;;
*) cli "$@" ;;
esac
if [ -z "$run" ] || [ ! -d "$run/answers" ] || [ ! -d "$run/inbox" ] || [ -e "$run/ended" ]; then cli "$@"; fi
kind=$1 text= n=0 dirty=0 want= first=1
for a do
  if [ -n "$first" ]; then first=; continue; fi
  if [ "$kind" = done ]; then
    if [ -n "$want" ]; then
      case $a in -*) cli "$@" ;; esac
      text=$a want=; continue
    fi
    case $a in
    -s | --summary) want=1 ;;
    --summary=*) text=\${a#--summary=} ;;
    -s?*) text=\${a#-s} ;;
    --allow-dirty) dirty=1 ;;
    *) cli "$@" ;;
    esac
  else
    case $a in -*) cli "$@" ;; esac
    if [ $n -gt 0 ]; then text="$text $a"; else text=$a; fi
    n=$((n + 1))
  fi
done
[ -z "$want" ] || cli "$@"
case $kind in blocked | note | request-changes) [ $n -gt 0 ] || cli "$@" ;; esac
# A done in a jj workspace snapshots its working copy with jj first: the Node CLI does that.
wt=\${BALLADOR_WORKTREE:-.}
if [ "$kind" = done ] && [ -d "$wt/.jj" ] && [ ! -e "$wt/.git" ]; then cli "$@"; fi
inbox=$run/inbox answers=$run/answers
now_ms() {
  t=$(date +%s%3N)
  case $t in *N) t=$(($(date +%s) * 1000)) ;; esac
  echo "$t"
}
put() { # put NAME.SUFFIX: stdin becomes the inbox file, whole or not at all
  cat >"$inbox/.$1.tmp" && mv -f "$inbox/.$1.tmp" "$inbox/$1"
}
wait_answer() { # the first of the answers named that appears, in $got
  i=0 patience=\${BALLADOR_REPORT_WAIT:-${ANSWER_WAIT_SECONDS}}
  case $patience in '' | *[!0-9]*) patience=${ANSWER_WAIT_SECONDS} ;; esac
  while [ $i -lt $((patience * 20)) ]; do
    for f do
      if [ -f "$answers/$name.$f" ]; then got=$answers/$name.$f; return 0; fi
    done
    sleep 0.05
    i=$((i + 1))
  done
  rm -f "$inbox/$name.req" "$inbox/$name.chk"
  echo "ballador: the run's supervisor did not answer in $patience s; nothing was reported: run it again" >&2
  exit 70
}
finish() { # print the final answer: stdout on 0, stderr otherwise; exit with its code
  {
    IFS= read -r code
    case $code in '' | *[!0-9]*) code=70 ;; esac
    while IFS= read -r l || [ -n "$l" ]; do
      if [ "$code" = 0 ]; then printf '%s\\n' "$l"; else printf '%s\\n' "$l" >&2; fi
    done
  } <"$got"
  : >"$inbox/$name.ack"
  exit "$code"
}
[ "$kind" != request-changes ] || kind=changes
name=$(printf '%015d-%d-%06x' "$(now_ms)" "$$" "$(($$ % 16777216))")
{ printf 'ballador-request 1\\n%s\\n%s\\n' "$kind" "$dirty"; printf '%s' "$text"; } | put "$name.req" || exit 70
wait_answer final check
[ "$got" = "$answers/$name.check" ] || finish
{ IFS= read -r _; IFS= read -r allow; IFS= read -r secs; verify=; nl=
  while IFS= read -r l || [ -n "$l" ]; do verify=$verify$nl$l nl='
'; done; } <"$got"
wt=\${BALLADOR_WORKTREE:-.}
if [ "$allow" != 1 ]; then
  st=$inbox/.$name.status
  git -C "$wt" -c core.fsmonitor=false status --porcelain -z --untracked-files=all --ignore-submodules=all >"$st" || exit 70
  if [ -s "$st" ]; then
    { echo dirty; cat "$st"; } | put "$name.chk"
    rm -f "$st"
    wait_answer final
    finish
  fi
  rm -f "$st"
fi
if [ -z "$verify" ]; then
  echo clean | put "$name.chk"
else
  echo "ballador: verifying before done: $verify" >&2
  commit=$(git -C "$wt" rev-parse HEAD) || exit 70
  start=$(now_ms)
  log=gate-$start.log
  printf '\\n$ [verify] %s\\n' "$verify" >"$inbox/$log"
  if command -v timeout >/dev/null; then
    (cd "$wt" && exec timeout -k 2 "$secs" sh -c "$verify") </dev/null >>"$inbox/$log" 2>&1
  else
    (cd "$wt" && exec sh -c "$verify") </dev/null >>"$inbox/$log" 2>&1
  fi
  code=$? late=0
  [ $code -ne 124 ] || late=1
  printf '[exit %s]\\n' "$code" >>"$inbox/$log"
  printf 'gate\\n%s\\n%s\\n%s\\n%s\\n%s\\n' "$code" "$late" "$(($(now_ms) - start))" "$commit" "$log" | put "$name.chk"
fi
wait_answer final
finish
`;
