#!/usr/bin/env bash
# Runs every ```sh block of the README word for word, in order, from the repository root, as a newcomer would.
#
#  - A command that starts the service (`dotnet run --project src/Fidamia.Server ...`, or its built binary, with or
#    without a trailing `& server=$!`) runs in the background until the next such command or the end; the runner waits
#    until it listens, and `$server` holds its process id for the commands after it.
#  - A line `# → TEXT` right under a command says what that command's output must contain.
#  - Every other command runs in bash, with a time limit, and must exit 0.
#  - Benchmark commands run with FIDAMIA_BENCHMARK_DRY=1: each benchmark once, in process.
#
# Environment: README_SKIP, exact commands not to run again (one a line: .ci/run passes the test command it has just
# run); README_COMMAND_TIMEOUT, seconds per command (default 1200). Logs go to artifacts/readme/.
# Ends with one line: `readme: N commands ran as written, N failed, N skipped`; exits 1 if any failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
readme="${1:-README.md}"
limit="${README_COMMAND_TIMEOUT:-1200}"
logs="$root/artifacts/readme"
rm -rf "$logs"
mkdir -p "$logs"
export FIDAMIA_BENCHMARK_DRY=1

say() { printf 'readme: %s\n' "$*"; }

# The commands write the service's state under ./data, as a user's would; a user's own data is put back afterwards.
backup=""
if [ -e data ]; then
  backup="data.readme-backup-$$"
  mv data "$backup"
  say "moved the existing ./data aside to ./$backup for the run"
fi

server_pid=""
server_log=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    # The runner started it in its own process group: dotnet run's child goes too.
    kill -TERM -- "-$server_pid" 2>/dev/null || kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

cleanup() {
  stop_server
  rm -rf data
  if [ -n "$backup" ]; then mv "$backup" data; fi
}
trap cleanup EXIT

port_taken() { (exec 3<>/dev/tcp/127.0.0.1/5080) 2>/dev/null; }
if port_taken; then
  say "error: something already listens on 127.0.0.1:5080, where the README's commands start the service"
  exit 1
fi

is_server() {
  [[ "$1" =~ ^dotnet\ run\ --project\ src/Fidamia\.Server([[:space:]]|$) ]] ||
    [[ "$1" =~ ^dotnet\ src/Fidamia\.Server/bin/[^[:space:]]+/Fidamia\.Server\.dll([[:space:]]|$) ]]
}

start_server() {
  local command="$1" n="$2"
  command="${command%% & server=\$!}"
  command="${command%% &}"
  stop_server
  for _ in $(seq 1 100); do port_taken || break; sleep 0.1; done
  server_log="$logs/$n-server.log"
  # setsid: a process group of its own, so stopping it stops dotnet run's child too.
  setsid bash -c "exec $command" >"$server_log" 2>&1 < /dev/null &
  server_pid=$!
  export server="$server_pid"
  local waited=0
  until grep -q "Now listening on" "$server_log"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      say "FAILED (the service exited before listening):"
      tail -n 30 "$server_log" | sed 's/^/  | /'
      server_pid=""
      return 1
    fi
    if [ "$waited" -ge 3000 ]; then
      say "FAILED (not listening after 300 s):"
      tail -n 30 "$server_log" | sed 's/^/  | /'
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Commands of the ```sh blocks, continuation lines joined, as "CMD<TAB>text" and "EXPECT<TAB>text" records.
parse() {
  awk '
    /^```sh[[:space:]]*$/ { inblock = 1; cmd = ""; next }
    /^```/ { if (inblock && cmd != "") print "CMD\t" cmd; inblock = 0; cmd = ""; next }
    !inblock { next }
    {
      line = $0
      if (cmd != "" && cmd ~ /\\$/) {                  # a continuation of the command above
        sub(/\\$/, "", cmd); sub(/^[[:space:]]+/, "", line); cmd = cmd " " line
        if (cmd !~ /\\$/) { print "CMD\t" cmd; cmd = "" }
        next
      }
      if (line ~ /^[[:space:]]*# → /) { sub(/^[[:space:]]*# → /, "", line); print "EXPECT\t" line; next }
      if (line ~ /^[[:space:]]*(#|$)/) next           # comments and blank lines
      if (line ~ /\\$/) { cmd = line; next }
      print "CMD\t" line
    }
  ' "$readme"
}

ran=0; failed=0; skipped=0; n=0
last_log=""; last_status=0
while IFS=$'\t' read -r kind text; do
  if [ "$kind" = EXPECT ]; then
    [ -n "$last_log" ] || continue
    if [ "$last_status" -eq 0 ] && ! grep -qF -- "$text" "$last_log"; then
      say "  FAILED: the output does not contain: $text"
      failed=$((failed + 1)); ran=$((ran - 1)); last_status=1
    fi
    continue
  fi

  n=$((n + 1)); id=$(printf '%02d' "$n")
  bare="$(sed -E 's/[[:space:]]+#[^"'"'"']*$//' <<<"$text")"   # without a trailing comment
  if [ -n "${README_SKIP:-}" ] && grep -qxF -- "$bare" <<<"$README_SKIP"; then
    say "[$id] skipped (already run): $text"
    skipped=$((skipped + 1)); last_log=""
    continue
  fi

  say "[$id] \$ $text"
  started=$SECONDS
  if is_server "$text"; then
    if start_server "$text" "$id"; then
      say "  service listening (pid $server_pid, log $server_log)"
      ran=$((ran + 1)); last_status=0
    else
      failed=$((failed + 1)); last_status=1
    fi
    last_log="$server_log"
    continue
  fi

  last_log="$logs/$id.log"
  timeout --kill-after=10 "$limit" bash -c "$text" >"$last_log" 2>&1 < /dev/null
  last_status=$?
  if [ "$last_status" -eq 0 ]; then
    say "  ok ($((SECONDS - started)) s)"
    ran=$((ran + 1))
  else
    say "  FAILED with exit code $last_status after $((SECONDS - started)) s; its last lines:"
    tail -n 30 "$last_log" | sed 's/^/  | /'
    failed=$((failed + 1))
  fi
done < <(parse)

stop_server
say "$ran commands ran as written, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
