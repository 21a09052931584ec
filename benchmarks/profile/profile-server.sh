#!/usr/bin/env bash
# Profiles the real server under the load tool and splits its CPU into request-path stages (stages.py).
# Usage, from the repository root after `dotnet build -c Release Fidamia.sln`:
#   bash benchmarks/profile/profile-server.sh PHOTO_DIR [CONCURRENCY]
# Needs Linux perf allowed to watch the user's own processes (kernel.perf_event_paranoid <= 2).
set -euo pipefail
photos="$(cd "$1" && pwd)"
concurrency="${2:-8}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/fidamia-profile-XXXXXX)"
cd "$work"
# Perf maps for the managed frames: every method JIT-compiled (no ReadyToRun code, which perf cannot name), no W^X
# double mapping (perf would see the executable alias the map does not list).
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0 \
  dotnet "$root/src/Fidamia.Server/bin/Release/net10.0/Fidamia.Server.dll" --environment Development --DataDirectory="$work/data" \
  --Models:IntraOpThreads=1 --Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:5190 --Kestrel:Endpoints:Http:Url=http://127.0.0.1:5191 \
  > server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 120); do [ -f data/development-key.json ] && break; sleep 0.5; done
(sleep 10; perf record -F 499 -g -p "$server" -o perf.data -- sleep 15 > perf.log 2>&1) &
profiler=$!
dotnet "$root/src/Fidamia.Cli/bin/Release/net10.0/fidamia.dll" bench load --server http://127.0.0.1:5190 \
  --development-key data/development-key.json --photos "$photos" --concurrency "$concurrency" --duration 28s --warmup 3s \
  --floor 0 --server-pid "$server" --json > load.json
wait $profiler
cpu_ms=$(python3 -c "import json; print(json.load(open('load.json'))['levels'][0]['cpu_s_per_request'] * 1000)")
echo "server CPU per photo under the profiler: ${cpu_ms} ms (perf data in $work)"
perf script -i perf.data 2>/dev/null | python3 "$root/benchmarks/profile/stages.py" "$cpu_ms"
