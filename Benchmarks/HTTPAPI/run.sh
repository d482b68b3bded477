#!/usr/bin/env bash
# HTTP API benchmark (run by hand, see README.md next to this file): wrk on loopback against the
# release binary's `csirt serve`, on a fresh temporary home seeded with incidents. Each target —
# GET /v1/incidents/{id}, GET /v1/incidents?limit=50, POST /v1/incidents — is measured right
# after GET /healthz with the same wrk settings, and the summary gives requests/s, p99, the ratio
# to /healthz, error counts and PASS/FAIL against the targets.
#
# Usage: Benchmarks/HTTPAPI/run.sh
# Environment: THREADS (2), CONNECTIONS (16), DURATION (10s), SEED (200 incidents),
#   CSIRT (.build/release/csirt), PORT (a free one), OUT_DIR (bench-out/http-api),
#   SERVER_CPUS / WRK_CPUS (optional `taskset -c` CPU lists, e.g. 0,1 and 2,3).
# Exits 0 whether the targets are met or not; non-zero only when something broke.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10s}
SEED=${SEED:-200}
CSIRT=${CSIRT:-.build/release/csirt}
OUT_DIR=${OUT_DIR:-bench-out/http-api}
POST_SCRIPT=Benchmarks/HTTPAPI/post-incident.lua

# Targets (from the issue): reads at no less than half the /healthz rate; p99 under 20 ms.
MIN_READ_RATIO=0.5
MAX_P99_MS=20

die() {
    echo "run.sh: $*" >&2
    exit 1
}

[[ $SEED =~ ^[0-9]+$ && $SEED -ge 1 ]] || die "SEED must be a positive number, not '$SEED'"

# --- tools -----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    echo "wrk not found; installing the Debian package" >&2
    as_root=()
    if [[ $(id -u) -ne 0 ]]; then
        as_root=(sudo)
    fi
    if ! ${as_root[@]+"${as_root[@]}"} apt-get install -y wrk; then
        ${as_root[@]+"${as_root[@]}"} apt-get update
        ${as_root[@]+"${as_root[@]}"} apt-get install -y wrk
    fi
    command -v wrk >/dev/null 2>&1 || die "wrk is still missing after apt-get install"
fi
for tool in curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done

if [[ $CSIRT != */* ]]; then
    CSIRT=$(command -v "$CSIRT") || die "no csirt binary '$CSIRT' on PATH"
fi
[[ -x $CSIRT ]] || die "no release binary at $CSIRT: run 'swift build -c release' first (or set CSIRT)"

server_prefix=()
wrk_prefix=()
if [[ -n ${SERVER_CPUS:-} ]]; then server_prefix=(taskset -c "$SERVER_CPUS"); fi
if [[ -n ${WRK_CPUS:-} ]]; then wrk_prefix=(taskset -c "$WRK_CPUS"); fi

# --- a fresh home and a running server ---------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/csirt-http-bench.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

home=$work/home
server_log=$work/server.log
mkdir -p "$OUT_DIR"

server_failed() {
    echo "run.sh: $*; the end of the server's log:" >&2
    tail -n 20 "$server_log" >&2 || true
    exit 1
}

"$CSIRT" init --home "$home" >/dev/null || die "csirt init failed"
token_output=$("$CSIRT" token create --name http-bench --role admin --home "$home") || die "csirt token create failed"
token=$(grep -o 'csirt_[0-9a-f]\{64\}' <<<"$token_output" | tail -n 1 || true)
[[ -n $token ]] || die "no token (csirt_ and 64 hex digits) in the output of csirt token create: $token_output"
auth="Authorization: Bearer $token"

port=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
base=http://127.0.0.1:$port

${server_prefix[@]+"${server_prefix[@]}"} "$CSIRT" serve --host 127.0.0.1 --port "$port" --home "$home" >"$server_log" 2>&1 &
server_pid=$!

ready=
for _ in $(seq 100); do
    if curl -fsS -o /dev/null --max-time 1 "$base/healthz" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || server_failed "csirt serve exited"
    sleep 0.1
done
[[ -n $ready ]] || server_failed "GET $base/healthz did not answer 2xx within 10 s"

# --- seed incidents -------------------------------------------------------------------------
categories=(malware phishing ransomware dos unauthorized-access)
severities=(low medium high critical)
pick=$(((SEED + 1) / 2))
incident_id=
echo "seeding $SEED incidents through POST /v1/incidents ..." >&2
for i in $(seq 1 "$SEED"); do
    body=$(printf '{"title":"seeded incident %d","category":"%s","severity":"%s"}' \
        "$i" "${categories[i % ${#categories[@]}]}" "${severities[i % ${#severities[@]}]}")
    code=$(curl -sS -o "$work/created.json" -w '%{http_code}' -X POST -H "$auth" \
        -H 'Content-Type: application/json' --data "$body" "$base/v1/incidents") || server_failed "POST /v1/incidents failed"
    [[ $code == 201 ]] || die "seeding: POST /v1/incidents answered $code, not 201: $(head -c 500 "$work/created.json")"
    if [[ $i -eq $pick ]]; then
        incident_id=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' <"$work/created.json") ||
            die "seeding: no \"id\" in the response: $(head -c 500 "$work/created.json")"
    fi
done

# Each URL answers as expected before it is measured (a benchmark of 404s proves nothing).
check() { # EXPECTED_STATUS URL [curl options...]
    local expected=$1 url=$2 code
    shift 2
    code=$(curl -sS -o "$work/check.out" -w '%{http_code}' "$@" "$url") || server_failed "GET $url failed"
    [[ $code == "$expected" ]] || die "GET $url answered $code, not $expected: $(head -c 500 "$work/check.out")"
}
check 200 "$base/healthz"
check 200 "$base/v1/incidents/$incident_id" -H "$auth"
check 200 "$base/v1/incidents?limit=50" -H "$auth"
items=$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))' <"$work/check.out") ||
    die "GET /v1/incidents?limit=50: no \"items\" list in the response: $(head -c 500 "$work/check.out")"
expected_items=$((SEED < 50 ? SEED : 50))
[[ $items -eq $expected_items ]] || die "GET /v1/incidents?limit=50 returned $items items, not $expected_items"

# --- wrk ------------------------------------------------------------------------------------
# parse_wrk FILE prints "REQUESTS_PER_S P99_MS NON_2XX SOCKET_ERRORS" from wrk's --latency output.
parse_wrk() {
    awk '
        function to_ms(v,   n) {
            n = v + 0
            if (v ~ /us$/) return n / 1000
            if (v ~ /ms$/) return n
            if (v ~ /[0-9]s$/) return n * 1000
            if (v ~ /[0-9]m$/) return n * 60000
            if (v ~ /[0-9]h$/) return n * 3600000
            return -1
        }
        /^Requests\/sec:/ { rps = $2 + 0; got_rps = 1 }
        /^[ \t]*99(\.0+)?%[ \t]/ { p99 = to_ms($2); got_p99 = (p99 >= 0) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF + 0 }
        /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) socket_errors += $i + 0 }
        END {
            if (!got_rps || !got_p99) exit 1
            printf "%.2f %.3f %d %d\n", rps, p99, non2xx, socket_errors
        }' "$1"
}

# measure NAME URL [wrk options...] runs wrk and sets REPLY to the parsed figures.
measure() {
    local name=$1 url=$2 out
    shift 2
    out=$OUT_DIR/$name.txt
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency${*:+ $*} $url" >&2
    if ! ${wrk_prefix[@]+"${wrk_prefix[@]}"} wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -H "$auth" "$@" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed on $url"
    fi
    kill -0 "$server_pid" 2>/dev/null || server_failed "csirt serve died during the $name run"
    REPLY=$(parse_wrk "$out") || {
        cat "$out" >&2
        die "could not find Requests/sec and the 99% latency in wrk's output ($out)"
    }
    local rps p99 non2xx socket_errors
    read -r rps p99 non2xx socket_errors <<<"$REPLY"
    printf '  %-26s %10s req/s  p99 %8s ms  non-2xx %s  socket errors %s\n' \
        "$name" "$rps" "$p99" "$non2xx" "$socket_errors" >&2
}

echo "csirt HTTP API benchmark, $(date '+%Y-%m-%d %H:%M:%S %z')"
echo "machine: $(nproc) cores ($(uname -m)); $(wrk -v 2>&1 | head -n 1 || true)"
echo "csirt: $CSIRT ($(git rev-parse --short HEAD 2>/dev/null || echo 'no git')); wrk -t$THREADS -c$CONNECTIONS -d$DURATION on loopback; $SEED seeded incidents, measured one $incident_id"
if [[ -n ${SERVER_CPUS:-}${WRK_CPUS:-} ]]; then
    echo "pinned: server to CPUs ${SERVER_CPUS:-any}, wrk to CPUs ${WRK_CPUS:-any}"
fi
if [[ $(nproc) -ne 2 ]]; then
    echo "note: the targets are for 2 cores; this machine has $(nproc)"
fi
echo

names=("GET /v1/incidents/{id}" "GET /v1/incidents?limit=50" "POST /v1/incidents")
files=(incident-show incident-list incident-open)
urls=("$base/v1/incidents/$incident_id" "$base/v1/incidents?limit=50" "$base/v1/incidents")
kinds=(read read write)
results=()
healthz_results=()
for n in 0 1 2; do
    measure "healthz-before-${files[n]}" "$base/healthz"
    healthz_results+=("$REPLY")
    if [[ ${kinds[n]} == write ]]; then
        measure "${files[n]}" "${urls[n]}" -s "$POST_SCRIPT"
    else
        measure "${files[n]}" "${urls[n]}"
    fi
    results+=("$REPLY")
done

# --- summary --------------------------------------------------------------------------------
echo
printf '%-28s %11s %9s %14s %7s %8s %9s  %s\n' \
    endpoint "req/s" "p99 ms" "healthz req/s" ratio non-2xx "sock err" verdict
for n in 0 1 2; do
    read -r rps p99 non2xx socket_errors <<<"${results[n]}"
    read -r h_rps h_p99 h_non2xx h_socket_errors <<<"${healthz_results[n]}"
    awk -v name="${names[n]}" -v kind="${kinds[n]}" -v rps="$rps" -v p99="$p99" -v non2xx="$non2xx" \
        -v sock="$socket_errors" -v h_rps="$h_rps" -v h_p99="$h_p99" -v h_errors="$((h_non2xx + h_socket_errors))" \
        -v min_ratio="$MIN_READ_RATIO" -v max_p99="$MAX_P99_MS" '
        BEGIN {
            ratio = h_rps > 0 ? rps / h_rps : 0
            why = ""
            if (kind == "read" && ratio < min_ratio) why = why sprintf("; ratio %.2f < %s", ratio, min_ratio)
            if (p99 >= max_p99) why = why sprintf("; p99 %.2f ms >= %s ms", p99, max_p99)
            if (non2xx + sock > 0) why = why sprintf("; %d errors", non2xx + sock)
            if (h_errors > 0) why = why sprintf("; %d errors on /healthz", h_errors)
            verdict = why == "" ? "PASS" : "FAIL (" substr(why, 3) ")"
            printf "%-28s %11.1f %9.2f %14.1f %7.2f %8d %9d  %s\n", name, rps, p99, h_rps, ratio, non2xx, sock, verdict
        }'
done
echo
echo "targets: reads at >= ${MIN_READ_RATIO}x the /healthz rate of the same pair; p99 < ${MAX_P99_MS} ms for all three; no errors"
errors=0
for n in 0 1 2; do
    read -r _ _ non2xx socket_errors <<<"${results[n]}"
    read -r _ _ h_non2xx h_socket_errors <<<"${healthz_results[n]}"
    errors=$((errors + non2xx + socket_errors + h_non2xx + h_socket_errors))
done
if [[ $errors -gt 0 ]]; then
    echo "WARNING: $errors requests failed (non-2xx/3xx answers or socket errors); see wrk's output in $OUT_DIR/"
fi
echo "wrk's full output: $OUT_DIR/"
