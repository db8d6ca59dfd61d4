#!/bin/sh
# Makes a fresh clone runnable: system tools, npm packages, and a current build.
# Run by `npm run demo`, `npm test` and `npm run bench`; each step is skipped when already done.
set -e
cd "$(dirname "$0")/.."

missing=""
for tool in git tmux bwrap socat rg; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  pkgs=$(echo "$missing" | sed "s/bwrap/bubblewrap/; s/ rg/ ripgrep/")
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ballador setup: installing$pkgs with apt-get" >&2
    sh scripts/with-progress.sh "ballador setup: apt-get" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive sh scripts/with-progress.sh "ballador setup: apt-get" apt-get install -y -qq $pkgs >/dev/null
  else
    echo "ballador setup: missing$missing; install them (Debian/Ubuntu: sudo apt-get install$pkgs)" >&2
    exit 1
  fi
fi

# Debian's chromium runs the dashboard's browser tests; without it they are skipped (loudly).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ballador setup: installing chromium with apt-get (for the dashboard's browser tests)" >&2
    sh scripts/with-progress.sh "ballador setup: apt-get" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive sh scripts/with-progress.sh "ballador setup: apt-get" apt-get install -y -qq chromium >/dev/null
  else
    echo "ballador setup: chromium is missing, so the dashboard's browser tests will be skipped (Debian/Ubuntu: sudo apt-get install chromium)" >&2
  fi
fi

# openssh-server and iproute2: the runner tests' hosts (network namespaces with sshd in each, run as
# root); without them those tests are skipped, loudly.
if [ ! -x /usr/sbin/sshd ] || ! { [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || [ -x /usr/bin/ip ] || [ -x /bin/ip ]; }; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ballador setup: installing openssh-server iproute2 with apt-get (for the runner tests' hosts)" >&2
    sh scripts/with-progress.sh "ballador setup: apt-get" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive sh scripts/with-progress.sh "ballador setup: apt-get" apt-get install -y -qq openssh-server iproute2 >/dev/null
  else
    echo "ballador setup: sshd or ip is missing, so the runner tests will be skipped (Debian/Ubuntu: sudo apt-get install openssh-server iproute2)" >&2
  fi
fi

# better-sqlite3 compiles from source here (about two minutes): install only when needed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "ballador setup: npm install (the first time about two minutes: better-sqlite3 compiles from source; no agent CLI: the tests that drive one install it on demand)" >&2
  # Not `npm ci`: the registry mirror here lacks some platform-only optional packages (e.g.
  # @biomejs/cli-android-arm64), which `npm ci` reports as a lock file out of sync.
  # A line every 8 s: npm itself says nothing while it compiles. JOBS=max: node-gyp compiles
  # better-sqlite3's two sources (SQLite's amalgamation and the binding) side by side.
  JOBS=max sh scripts/with-progress.sh "ballador setup: npm install" npm install --no-audit --no-fund >&2
fi

# Rebuild when any source file is newer than the build.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' 2>/dev/null | head -1)" ]; then
  echo "ballador setup: building" >&2
  sh scripts/with-progress.sh "ballador setup: building" node node_modules/typescript/bin/tsc -p tsconfig.build.json >&2
fi
# The bundle of the entries (dist/bundle), made from the compiled modules (again after tsc),
# and holding the sandbox runtime: again after an install that may have updated it.
if [ ! -f dist/bundle/cli.js ] || [ dist/cli/main.js -nt dist/bundle/cli.js ] ||
  [ node_modules/.package-lock.json -nt dist/bundle/cli.js ]; then
  node scripts/build-bundle.mjs >&2
fi
# The dashboard's page (bundled with esbuild into dist/dashboard/web).
if [ ! -f dist/dashboard/web/app.js ] || [ -n "$(find src/dashboard/web -newer dist/dashboard/web/app.js 2>/dev/null | head -1)" ]; then
  echo "ballador setup: building the dashboard's page" >&2
  node scripts/build-dashboard.mjs >&2
fi
