#!/usr/bin/env bash
# Builds the repository's Dockerfile and runs the image where no Docker engine runs (CI, the build host):
# buildah (chroot isolation, vfs storage) builds it on local stand-ins for the two base images, then the
# image's server runs with a data volume, the real communes layer and a rules file mounted, and a real
# photo is triaged through it over loopback with the CLI.
#
# Usage (as root, from any folder): tests/container/build.sh
# Ends with one line `container: OK (...)`, or `container: FAILED: ...` and a non-zero status.
#
# Environment:
#   FIDAMIA_SHARED_DATA                  the shared data folder, as for the tests (default: ../shared/data)
#   FIDAMIA_CONTAINER_REMAKE_STANDINS=1  remake the base image stand-ins even when the cached ones match
#   FIDAMIA_CONTAINER_STORAGE            buildah's storage folder (default: buildah's own,
#                                        /var/lib/containers/storage); a build needs some 30 GB there
#
# The stand-ins, a debootstrap Debian (this machine's suite and mirror) plus this machine's .NET, are
# cached in buildah's storage under a key of everything they are made from, so only the first run on a
# machine makes them; the Dockerfile's own layers are cached too (--layers), so after a code change the
# restore layer is reused.
set -Eeuo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

image=localhost/fidamia:ci
restore_image=localhost/fidamia-restore:ci
sdk_standin=localhost/fidamia-sdk-standin
runtime_standin=localhost/fidamia-runtime-standin
key_label=fidamia.standin.key
start_timeout_s=120
# Disk a build takes besides its cache, at its peak (measured): vfs copies the whole tree for every step's
# image and for every step's working container, all of which live until the build ends.
build_space_gb=30
stop_timeout_s=30
# The photo is taken in Cassis, a commune only the real layer has (the demo layer has six coarse territories).
photo_lat=43.2147
photo_lon=5.5386
expected_commune=Cassis

say() { echo "container: $*" >&2; }
failed=
fail() {
    failed=1
    echo "container: FAILED: $*" >&2
    exit 1
}
# Where an unchecked command failed (set -e ends the script there), for the clean-up's message.
last_error=
trap 'last_error="line $LINENO: $BASH_COMMAND"' ERR
# One storage driver everywhere: a store is tied to the driver that created it, and vfs needs no
# kernel support (overlay mounts are not allowed everywhere this runs).
storage=()
if [ -n "${FIDAMIA_CONTAINER_STORAGE:-}" ]; then
    storage=(--root "$FIDAMIA_CONTAINER_STORAGE" --runroot "$FIDAMIA_CONTAINER_STORAGE.run")
fi
bah() { buildah --storage-driver vfs "${storage[@]}" "$@"; }
# A command in a stand-in's root, with a PATH of its own (dpkg looks for ldconfig there).
in_root() {
    local root=$1
    shift
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

started=$(date +%s)
[ "$(id -u)" -eq 0 ] || fail "run as root: buildah's chroot isolation and debootstrap need it"
command -v dotnet >/dev/null || fail "no dotnet on PATH: the stand-ins are made from this machine's .NET"

# --- Tools -------------------------------------------------------------------------------------------
missing=()
for tool in buildah debootstrap jq curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt_log=$(mktemp)
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        >"$apt_log" 2>&1 || {
        cat "$apt_log" >&2
        fail "apt-get could not install ${missing[*]}"
    }
    rm -f "$apt_log"
fi

shared=${FIDAMIA_SHARED_DATA:-$repo/../shared/data}
communes_layer=$shared/gis/amp-communes.geojson
photo=$shared/photos/leuvenA.jpg
if [ ! -f "$communes_layer" ] || [ ! -f "$photo" ]; then
    fail "no $communes_layer or $photo: the shared data is needed (set FIDAMIA_SHARED_DATA to its folder)"
fi
shared=$(cd "$shared" && pwd)

# One run at a time on a machine, whatever their storage: a run shares its storage, the containers' names
# and the prune with the others there, and the disk with all (two builds at once would need twice the space).
# Children that may outlive the script (MSBuild nodes, the server) get the lock's descriptor closed (9>&-).
mkdir -p /run/lock
exec 9>/run/lock/fidamia-container.lock
flock -n 9 || {
    say "waiting for another run of this script to end"
    flock -w 1800 9 || fail "another run of this script held the lock for 30 minutes"
}

work=$(mktemp -d /var/tmp/fidamia-container.XXXXXX)
# Containers have fixed names, so that one left by a run killed before its clean-up (which would keep its
# image from the prune) is removed by the next run.
run_container=fidamia-ci-run
standin_containers=(fidamia-ci-standin-sdk fidamia-ci-standin-runtime)
server_pid=
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ] && [ -z "$failed" ]; then
        echo "container: FAILED: status $status${last_error:+ at $last_error}" >&2
    fi
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        # shellcheck disable=SC2046 # pids are words
        stop_server 10 || kill -KILL $(process_tree) 2>/dev/null || true
    fi
    remove_containers
    rm -rf "$work"
    exit "$status"
}
remove_containers() {
    local container
    for container in "$run_container" "${standin_containers[@]}"; do
        bah rm "$container" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
remove_containers

# --- Base image stand-ins ----------------------------------------------------------------------------
# The suite this machine runs, and the mirror its apt sources name for it (one-line or deb822 format).
# shellcheck disable=SC1091 # the machine's, not the repository's
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || fail "/etc/os-release names no VERSION_CODENAME: cannot choose the stand-ins' Debian suite"
mirror=$(
    {
        grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
            sed -E 's/\[[^]]*\]//' | awk -v suite="$suite" '$3 == suite { print $2 }'
        for sources in /etc/apt/sources.list.d/*.sources; do
            [ -f "$sources" ] || continue
            awk -v suite="$suite" '
                BEGIN { RS = ""; FS = "\n" }
                {
                    uris = ""; suites = ""; types = ""; enabled = "yes"
                    for (i = 1; i <= NF; i++) {
                        if ($i ~ /^URIs:/) uris = substr($i, 6)
                        else if ($i ~ /^Suites:/) suites = substr($i, 8)
                        else if ($i ~ /^Types:/) types = substr($i, 7)
                        else if ($i ~ /^Enabled:/) enabled = substr($i, 9)
                    }
                    if ((" " types " ") ~ /[ \t]deb[ \t]/ && enabled !~ /no/ && (" " suites " ") ~ ("[ \t]" suite "[ \t]")) {
                        split(uris, u, " "); print u[1]
                    }
                }' "$sources"
        done
    } | sed -n 1p || true
)
[ -n "$mirror" ] || fail "no apt source of this machine names suite $suite: cannot choose the stand-ins' mirror"

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
# The SDK's dotnet CLI needs ICU; the package is named after its version (libicu72 in bookworm).
icu_package=$(dpkg-query -W -f '${Package}\n' 'libicu[0-9]*' 2>/dev/null | grep -E '^libicu[0-9]+$' | sed -n 1p || true)
[ -n "$icu_package" ] || icu_package=$(apt-cache search --names-only '^libicu[0-9]+$' | awk '{ print $1 }' | sort -V | tail -n 1)
[ -n "$icu_package" ] || fail "cannot tell the ICU package of $suite (no libicuNN installed here or known to apt)"

# How this machine reaches NuGet, which the SDK stand-in takes over: extra certificate authorities (a
# TLS-inspecting proxy), the user's NuGet.Config, NUGET_* variables. Proxy variables need nothing:
# buildah passes HTTP(S)_PROXY/NO_PROXY to RUN steps by default, without storing them in the image.
nuget_config=
for candidate in "$HOME/.nuget/NuGet/NuGet.Config" "$HOME/.nuget/NuGet/nuget.config"; do
    if [ -f "$candidate" ]; then
        nuget_config=$candidate
        break
    fi
done
mapfile -t nuget_env < <(env | grep -E '^NUGET_[A-Z_]+=' | sort || true)

make_standin() {
    local name=$1 kind=$2 rootfs=$3 container=fidamia-ci-standin-$2 mount
    bah from --name "$container" scratch >/dev/null
    mount=$(bah mount "$container")
    cp -a "$rootfs/." "$mount/"
    mkdir -p "$mount/usr/share/dotnet"
    local env=(--env DOTNET_RUNNING_IN_CONTAINER=true)
    if [ "$kind" = sdk ]; then
        cp -a "$dotnet_root/." "$mount/usr/share/dotnet/"
        # vfs copies the whole tree at every build step, and a build holds some 30 copies at its peak: the SDK
        # stand-in leaves out what building the image never runs (F#, the bundled tools such as dotnet-watch
        # and dotnet-format, templates, the .NET Framework test host, translations), a third of its size.
        rm -rf "$mount"/usr/share/dotnet/sdk/*/FSharp "$mount"/usr/share/dotnet/sdk/*/DotnetTools \
            "$mount"/usr/share/dotnet/sdk/*/TestHostNetFramework "$mount/usr/share/dotnet/templates"
        # Translations are folders named after a culture holding only satellite assemblies (codestyle/cs is C#).
        local folder
        while IFS= read -r -d '' folder; do
            if [ -z "$(find "$folder" -type f ! -name '*.resources.dll' -print -quit)" ]; then
                rm -rf "$folder"
            fi
        done < <(find "$mount/usr/share/dotnet/sdk" -type d \( -name cs -o -name de -o -name es -o -name fr \
            -o -name it -o -name ja -o -name ko -o -name pl -o -name pt-BR -o -name ru -o -name tr -o -name zh-Hans \
            -o -name zh-Hant \) -prune -print0)
        if [ -n "$(ls -A /usr/local/share/ca-certificates 2>/dev/null)" ]; then
            cp -a /usr/local/share/ca-certificates/. "$mount/usr/local/share/ca-certificates/"
            in_root "$mount" update-ca-certificates >"$work/ca.log" 2>&1 || {
                cat "$work/ca.log" >&2
                fail "update-ca-certificates failed in the SDK stand-in"
            }
        fi
        # In the SDK stand-in only: the final stage starts from the runtime image and never sees it.
        if [ -n "$nuget_config" ]; then
            mkdir -p "$mount/root/.nuget/NuGet"
            cp "$nuget_config" "$mount/root/.nuget/NuGet/NuGet.Config"
        fi
        # As the official SDK image, plus this machine's NuGet settings.
        env+=(--env DOTNET_USE_POLLING_FILE_WATCHER=true --env NUGET_XMLDOC_MODE=skip)
        local variable
        for variable in "${nuget_env[@]}"; do
            env+=(--env "$variable")
        done
    else
        # The ASP.NET runtime only. No ICU: the service runs with invariant globalization (Directory.Build.props).
        in_root "$mount" dpkg --purge "$icu_package" >"$work/dpkg.log" 2>&1 || {
            cat "$work/dpkg.log" >&2
            fail "dpkg --purge $icu_package failed in the runtime stand-in"
        }
        local file
        for file in dotnet host LICENSE.txt ThirdPartyNotices.txt; do
            if [ -e "$dotnet_root/$file" ]; then
                cp -a "$dotnet_root/$file" "$mount/usr/share/dotnet/"
            fi
        done
        mkdir -p "$mount/usr/share/dotnet/shared"
        cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$mount/usr/share/dotnet/shared/"
        # As the official ASP.NET image, so that the run below meets the same default port the image overrides.
        env+=(--env ASPNETCORE_HTTP_PORTS=8080)
    fi
    ln -s ../share/dotnet/dotnet "$mount/usr/bin/dotnet"
    bah umount "$container" >/dev/null
    bah config "${env[@]}" --label "$key_label=$standin_key" --workingdir / --cmd /bin/bash "$container"
    bah rmi "$name" >/dev/null 2>&1 || true
    bah commit --quiet --rm "$container" "$name" >/dev/null
}

make_standins() {
    local rootfs=$work/rootfs
    say "making the base image stand-ins: debootstrap $suite from $mirror, .NET from $dotnet_root"
    debootstrap --variant=minbase --include="ca-certificates,tzdata,$icu_package" "$suite" "$rootfs" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        fail "debootstrap $suite $mirror failed (its log's end is above)"
    }
    # Package caches, documentation and translations are no use in a base image, and vfs copies every byte
    # at each layer.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
    make_standin "$sdk_standin" sdk "$rootfs"
    make_standin "$runtime_standin" runtime "$rootfs"
    rm -rf "$rootfs"
}

# The cache key: everything the stand-ins are made from, this script's recipe included.
standin_key=$(
    {
        echo "$suite $mirror $icu_package"
        dotnet --version
        dotnet --list-runtimes
        find /usr/local/share/ca-certificates -type f -exec sha256sum {} + 2>/dev/null | sort
        [ -z "$nuget_config" ] || sha256sum "$nuget_config"
        printf '%s\n' "${nuget_env[@]}"
        declare -f make_standin make_standins
    } | sha256sum | cut -c 1-16
)
cached_key() { bah inspect --type image --format "{{index .OCIv1.Config.Labels \"$key_label\"}}" "$1" 2>/dev/null || true; }

standins_started=$(date +%s)
if [ "${FIDAMIA_CONTAINER_REMAKE_STANDINS:-}" != 1 ] &&
    [ "$(cached_key "$sdk_standin")" = "$standin_key" ] && [ "$(cached_key "$runtime_standin")" = "$standin_key" ]; then
    standins="stand-ins cached"
else
    make_standins
    standins="stand-ins made in $(($(date +%s) - standins_started)) s"
fi
say "$standins ($sdk_standin, $runtime_standin; key $standin_key)"

# --- Build -------------------------------------------------------------------------------------------
prune() {
    bah rmi --prune >/dev/null 2>"$work/prune.err" ||
        say "warning: buildah rmi --prune failed, earlier builds' layers stay: $(cat "$work/prune.err")"
}
# What failed or interrupted builds left first: with vfs, disk space is what a build runs out of. The
# build stage's name of an earlier version of this script would keep 9 GB of it.
bah rmi localhost/fidamia-build:ci >/dev/null 2>&1 || true
prune
storage_root=${FIDAMIA_CONTAINER_STORAGE:-/var/lib/containers/storage}
mkdir -p "$storage_root"
available_gb=$(($(df -Pk "$storage_root" | awk 'NR == 2 { print $4 }') / 1024 / 1024))
if [ "$available_gb" -lt "$build_space_gb" ]; then
    say "warning: $available_gb GB free for buildah's storage; a build may need about $build_space_gb GB more than its cache"
fi
say "building $image from $repo/Dockerfile"
build_started=$(date +%s)
# Base images are never pulled: no registry is reachable here, and the stand-ins are local.
# --force-rm: a failed step's container would otherwise stay, and keep its image from every later prune.
# Docker's image format: OCI's has no HEALTHCHECK (buildah drops it with a warning).
bah bud --format docker --layers --force-rm --pull=never --isolation chroot \
    --build-arg "SDK_IMAGE=$sdk_standin" --build-arg "RUNTIME_IMAGE=$runtime_standin" \
    -t "$image" . >"$work/build.log" 2>&1 9>&- || {
    tail -n 80 "$work/build.log" >&2
    if grep -q "no space left on device" "$work/build.log"; then
        fail "buildah bud ran out of disk: with vfs a build needs about $build_space_gb GB free besides its cache"
    fi
    fail "buildah bud failed (the end of its log is above)"
}
build_s=$(($(date +%s) - build_started))
# Whether the package layer came from the cache: the restore RUN step followed by "Using cache".
restore=$(awk '/STEP [0-9]+\/[0-9]+: RUN dotnet restore/ { step = 1; next } step { print (/Using cache/ ? "restore cached" : "restore run"); exit }' "$work/build.log")
# The next build's cache is this one's intermediate images, and with vfs every one of them is a full copy
# of the tree (3 GB once the packages are restored). Only the restore step's image is named, which keeps it
# and the steps below it; the prune drops the rest (the source and publish steps, which the next change
# redoes anyway, and what earlier builds left).
restore_step=$(awk '/STEP [0-9]+\/[0-9]+: RUN dotnet restore/ { step = 1; next } step && /^--> [0-9a-f]+$/ { print $2; exit }' "$work/build.log")
[ -n "$restore_step" ] || fail "cannot find the restore step's image in buildah's log (is the restore RUN gone?)"
bah tag "$restore_step" "$restore_image"
prune
image_size=$(bah images --format '{{.Size}}' "$image" | sed -n 1p)
say "built in ${build_s} s (${restore:-restore step not found}), image $image_size"

# --- The CLI that talks to it (built on this machine, as any client) ---------------------------------
dotnet build src/Fidamia.Cli -nologo -v q --disable-build-servers >"$work/cli-build.log" 2>&1 9>&- || {
    tail -n 40 "$work/cli-build.log" >&2
    fail "building the CLI failed"
}
cli=$repo/src/Fidamia.Cli/bin/Debug/net10.0/fidamia.dll

# --- Run ---------------------------------------------------------------------------------------------
free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 40000))
        # Nothing answers there: a refused connection.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free loopback port found"
}

# buildah run's process and its descendants.
process_tree() {
    local pid children
    local queue=("$server_pid")
    while [ ${#queue[@]} -gt 0 ]; do
        pid=${queue[0]}
        queue=("${queue[@]:1}")
        echo "$pid"
        children=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
        # shellcheck disable=SC2206 # pids are words
        queue+=($children)
    done
}

# The server: the one running dotnet (buildah's own processes name the dll in their arguments too).
server_process() {
    local pid
    for pid in $(process_tree); do
        if [ "$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 1p | xargs -r basename)" = dotnet ]; then
            echo "$pid"
            return
        fi
    done
}

# SIGTERM to the server, as `docker stop` sends; true when buildah run ends within $1 seconds.
stop_server() {
    local pid
    pid=$(server_process)
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq "$1"); do
        kill -0 "$server_pid" 2>/dev/null || return 0
        sleep 1
    done
    ! kill -0 "$server_pid" 2>/dev/null
}

# grpc.health.v1.Health/Check with an empty request, over HTTP/2 without TLS; SERVING is 08 01.
health() {
    curl -s --max-time 5 --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
        --data-binary @- "http://127.0.0.1:$port/grpc.health.v1.Health/Check" < <(printf '\0\0\0\0\0') 2>/dev/null |
        od -An -tx1 | tr -d ' \n'
}

port=$(free_port)
http_port=$(free_port)
mkdir -p "$work/data" "$work/rules" "$work/seed/graffiti"
# The volume is the unprivileged user's, as a named volume initialised from the image would be.
chown 10001:10001 "$work/data"
cp src/Fidamia.Routing/routing.yaml "$work/rules/"
# A prototype to learn at start: the server then writes its prototype memory into the data volume
# (it writes nothing there at idle otherwise).
cp "$shared/photos/graf1.png" "$work/seed/graffiti/"

image_config=$(bah inspect --type image "$image" | jq '.OCIv1.config')
mapfile -t entrypoint < <(jq -r '.Entrypoint // [] | .[]' <<<"$image_config")
[ ${#entrypoint[@]} -gt 0 ] || fail "the image has no ENTRYPOINT"
image_user=$(jq -r '.User // ""' <<<"$image_config")
mapfile -t volumes < <(jq -r '.Volumes // {} | keys[]' <<<"$image_config")
[ "${volumes[*]}" = /var/lib/fidamia ] || fail "the image's volumes are '${volumes[*]}', not /var/lib/fidamia, which this run mounts"
bah from --pull=never --name "$run_container" "$image" >/dev/null
# buildah run (1.28) mounts an anonymous volume over an image VOLUME unless the last -v targets it, which
# would silently hide the data volume given below: the run container drops the declaration, the mount stays.
bah config --volume /var/lib/fidamia- "$run_container"

# As shipped (Production, no identity provider named), the image refuses to start on a development key, and says so.
say "checking that the image refuses the development key in Production"
refusal=0
timeout 120 buildah --storage-driver vfs "${storage[@]}" run --isolation chroot -v "$work/data:/var/lib/fidamia" \
    -e "Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$port" -e "Kestrel__Endpoints__Http__Url=http://127.0.0.1:$http_port" \
    "$run_container" -- "${entrypoint[@]}" >"$work/production.log" 2>&1 9>&- || refusal=$?
[ "$refusal" -eq 1 ] && grep -q "Auth:Authority is not set" "$work/production.log" || {
    cat "$work/production.log" >&2
    fail "in Production without Auth:Authority the image exited with $refusal, not 1 naming Auth:Authority"
}

say "running ${entrypoint[*]} as ${image_user:-root} on 127.0.0.1:$port"
run_started=$(date +%s)
# buildah run takes the image's user, working folder and environment; chroot isolation shares this
# machine's network, so the loopback port is reachable from here. Not through bah: $! is buildah itself.
buildah --storage-driver vfs "${storage[@]}" run --isolation chroot \
    -v "$work/data:/var/lib/fidamia" \
    -v "$shared/gis:/layers:ro" \
    -v "$work/rules:/rules:ro" \
    -v "$work/seed:/seed:ro" \
    -e "Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:$port" \
    -e "Kestrel__Endpoints__Http__Url=http://127.0.0.1:$http_port" \
    -e ASPNETCORE_ENVIRONMENT=Development \
    "$run_container" -- "${entrypoint[@]}" \
    --Gis:Communes:Path=/layers/amp-communes.geojson \
    --Routing:RulesPath=/rules/routing.yaml \
    --Prototypes:SeedPath=/seed \
    >"$work/server.log" 2>&1 9>&- &
server_pid=$!

server_failed() {
    echo "--- server output ---" >&2
    cat "$work/server.log" >&2
    echo "---" >&2
    fail "$1"
}

until [ "$(health)" = 00000000020801 ]; do
    kill -0 "$server_pid" 2>/dev/null || server_failed "the server exited during start-up"
    [ $(($(date +%s) - run_started)) -lt "$start_timeout_s" ] || server_failed "not SERVING after $start_timeout_s s"
    sleep 1
done
ready_s=$(($(date +%s) - run_started))
say "SERVING after ${ready_s} s"

pid=$(server_process)
[ -n "$pid" ] || server_failed "no dotnet process under buildah run"
uid=$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status")
[ "$uid" = 10001 ] || server_failed "the server runs as uid $uid, not 10001"

# The image's own HEALTHCHECK, run in the image against the running server.
mapfile -t healthcheck < <(bah inspect --type image "$image" | jq -r '.Docker.config.Healthcheck.Test // [] | .[]')
[ "${healthcheck[0]:-}" = CMD ] || fail "the image has no HEALTHCHECK CMD (got '${healthcheck[*]}')"
bah run --isolation chroot -e "Kestrel__Endpoints__Http__Url=http://127.0.0.1:$http_port" "$run_container" -- "${healthcheck[@]:1}" 9>&- ||
    server_failed "the image's HEALTHCHECK failed against the running server"
# Logs are JSON lines (the image's setting), each with its category; a request's carry its trace id.
jq -e -s 'length > 0' "$work/server.log" >/dev/null 2>&1 || server_failed "the server's log is not JSON lines"

# A trial in development mode: the CLI signs its token with the key the server made in the volume.
dotnet "$cli" triage --server "http://127.0.0.1:$port" --development-key "$work/data/development-key.json" --photo "$photo" \
    --lat "$photo_lat" --lon "$photo_lon" --category graffiti >"$work/triage.json" 2>"$work/triage.err" || {
    cat "$work/triage.err" >&2
    server_failed "fidamia triage failed"
}
commune=$(jq -r '.context.commune.name // empty' "$work/triage.json")
[ "$commune" = "$expected_commune" ] || {
    cat "$work/triage.json" >&2
    server_failed "the answer names commune '$commune', not $expected_commune: the real layer was not used"
}
# The triaged report is stored in the volume before the answer (with what it taught), with its photo, as uid 10001.
state=$work/data/fidamia.db
[ -s "$state" ] || server_failed "the server stored no report in $state"
[ "$(stat -c %u "$state")" = 10001 ] || server_failed "$state is not owned by uid 10001"
[ -n "$(find "$work/data/photos" -type f -name '*.bin' 2>/dev/null)" ] || server_failed "the server kept no photo under $work/data/photos"

stop_server "$stop_timeout_s" || server_failed "the server did not stop within $stop_timeout_s s of SIGTERM"
exit_status=0
wait "$server_pid" || exit_status=$?
server_pid=
[ "$exit_status" -eq 0 ] || server_failed "the server exited with status $exit_status on SIGTERM"
grep -q "Application is shutting down" "$work/server.log" || server_failed "the server did not log its shutdown"

echo "container: OK ($standins, build ${build_s} s with ${restore:-?}, image $image_size, SERVING after ${ready_s} s," \
    "uid 10001, $photo_lat,$photo_lon in $commune, state in the volume; $(($(date +%s) - started)) s in all)"
