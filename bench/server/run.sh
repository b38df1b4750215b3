#!/usr/bin/env bash
# Load test of the web API (issue 8): the settlements map layer and the dashboard's KPIs on the demo
# data at 100 concurrent connections, with wrk, beside nginx serving the very same responses as
# static files in the same run. Prints requests/s and latency percentiles of both and the ratio.
# Targets: p99 under 50 ms, at least a third of nginx's throughput.
#
# Usage: bench/server/run.sh [DURATION_S] [CONNECTIONS]     (default 20 s, 100 connections)
# Needs: wrk, nginx (installed from Debian when missing), curl, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-20}
CONNS=${2:-100}
THREADS=2
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release -q -p auyl-cli
bin=$CARGO_TARGET_DIR/release/auyl
work=$(mktemp -d /tmp/auyl-bench-server.XXXXXX)
chmod 755 "$work" # nginx's workers (www-data when started as root) read the bodies from here
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

db=sqlite://$work/demo.db
echo "== the demo data (registry, national plan, works, simulated year) into $db"
"$bin" --database "$db" demo --no-serve --json --out-dir "$work/demo-out" >/dev/null
printf 'bench-password-%s\n' "$RANDOM$RANDOM" > "$work/password"
"$bin" --database "$db" users add bench.analyst --role ministry_analyst --password-stdin < "$work/password" >/dev/null

port_auyl=18181
port_nginx=18182
"$bin" --database "$db" serve --bind 127.0.0.1:$port_auyl >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port_auyl/api/health" >/dev/null && break; sleep 0.2; done
token=$(python3 - "$port_auyl" "$work/password" <<'EOF'
import json, sys, urllib.request
port, pw = sys.argv[1], open(sys.argv[2]).read().strip()
req = urllib.request.Request(f"http://127.0.0.1:{port}/api/auth/login",
    data=json.dumps({"name": "bench.analyst", "password": pw}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
EOF
)

# The endpoints: what the map and the dashboard ask for (see assets/panels/map.js, dashboard.js).
names=(settlements kpis)
declare -A paths=([settlements]="/api/settlements" [kpis]="/api/tracking/kpis")
locations=""
for name in "${names[@]}"; do
  p=${paths[$name]}
  # The very bytes auyl sends when the client accepts gzip, as a browser does, for nginx to serve.
  curl -fs -H "Authorization: Bearer $token" -H 'Accept-Encoding: gzip' -D "$work/$name.headers" \
       -o "$work/$name.body" "http://127.0.0.1:$port_auyl$p"
  enc=$(grep -i '^content-encoding:' "$work/$name.headers" | tr -d '\r' | awk '{print $2}' || true)
  locations+="    location = $p { alias $work/$name.body; ${enc:+add_header Content-Encoding $enc;} }"$'\n'
  echo "$enc" > "$work/$name.enc"
done

cat > "$work/nginx.conf" <<EOF
worker_processes $THREADS;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/json;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port_nginx;
$locations  }
}
EOF
mkdir -p "$work/tmp"
"$NGINX" -c "$work/nginx.conf"

to_ms() { python3 -c "import re,sys; v,u=re.match(r'([\d.]+)([a-z]+)',sys.argv[1]).groups(); print(round(float(v)*{'us':1e-3,'ms':1,'s':1e3,'m':6e4}[u],2))" "$1"; }

# Prints one line and sets RPS and P99_MS.
run_wrk() { # label url [wrk options…]
  local out p50 errs
  out=$(wrk -t$THREADS -c"$CONNS" -d"${DURATION}s" --latency -H 'Accept-Encoding: gzip' "${@:3}" "$2")
  RPS=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  P99_MS=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  errs=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' || true)
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$1 answered errors: $errs (a comparison of errors would mean nothing)" >&2
    exit 1
  fi
  printf '  %-6s %10.0f req/s   p50 %8.2f ms   p99 %8.2f ms  %s\n' "$1" "$RPS" "$p50" "$P99_MS" "$errs"
}

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNS -d${DURATION}s -H 'Accept-Encoding: gzip'"
echo "   (wrk, auyl and nginx share the machine; auyl's requests carry a bearer token and are authenticated)"
for name in "${names[@]}"; do
  p=${paths[$name]}
  echo "-- GET $p: $(stat -c %s "$work/$name.body") bytes on the wire ($(sed 's/^$/identity/' "$work/$name.enc"))"
  run_wrk auyl "http://127.0.0.1:$port_auyl$p" -H "Authorization: Bearer $token"
  a_rps=$RPS a_p99=$P99_MS
  run_wrk nginx "http://127.0.0.1:$port_nginx$p"
  python3 -c "
r = $a_rps / $RPS
ok = $a_p99 < 50 and r >= 1 / 3
print(f'  auyl / nginx throughput {r:.2f}; targets p99 < 50 ms and ratio >= 0.33: ' + ('met' if ok else 'NOT met'))"
done
