#!/usr/bin/env bash
# Generates the nginx front of a sharded camrelay deployment (docs/scaling.md) from the
# instances' configuration files: one upstream per instance, a map camera id -> instance,
# routes for the per-camera URLs (REST, WHEP and its resource URLs, signaling with
# ?camera=, HLS, MJPEG, snapshots), an HLS proxy_cache, a JSON 503 when an owner is down,
# and the aggregated lists (/streams, /cameras, /api/stream/active, /viewers, /health)
# answered by scripts/nginx/camrelay-aggregate.js (nginx's njs module).
#
# Usage: scripts/gen-nginx.sh [options] NAME=CONFIG.json[@HOST:PORT] ...
#   NAME           instance name: [a-z0-9_]{1,32}, unique; the first instance also serves
#                  what belongs to no camera (pages, /auth/..., seed aliases of the first camera)
#   CONFIG.json    that instance's camrelay configuration (cameras[].id, http.host/port,
#                  webrtc.udp_port_min/max, rtp.port_min/max, mqtt.client_id, hls)
#   @HOST:PORT     where nginx reaches it, when the file does not say (environment
#                  overrides such as API_SERVER_PORT, or http.host 0.0.0.0 on another machine)
# Options:
#   --listen ADDR:PORT   where nginx listens (default 8080)
#   --tls-cert FILE --tls-key FILE   HTTPS on that listener (browsers need a secure context
#                        for WebRTC from another host; the viewer page then uses wss://)
#   --cache-dir DIR      proxy_cache directory for HLS (default /var/cache/nginx/camrelay-hls)
#   --js FILE            camrelay-aggregate.js (default: next to this script, scripts/nginx/)
#   --standalone DIR     write a whole nginx.conf for `nginx -p DIR -c DIR/nginx.conf`
#                        (pid, logs, temp and cache under DIR, njs module loaded); without
#                        it the output is an http{}-level file for /etc/nginx/conf.d/
#   --user USER          standalone only: the `user` directive (when nginx starts as root)
#   -o FILE              write to FILE instead of standard output
# Refuses (exit 2, naming the instance and key): a camera id on two instances, overlapping
# webrtc.udp_port_min..max or rtp.port_min..max ranges, two instances with one MQTT
# client id on one broker. Warns about per-IP limits that nginx's address would hit.
set -euo pipefail

die() { echo "gen-nginx: $*" >&2; exit 2; }
warn() { echo "gen-nginx: warning: $*" >&2; }
command -v jq >/dev/null || die "jq is needed (apt-get install jq; scripts/deps.sh)"

here=$(cd "$(dirname "$0")" && pwd)
listen=8080
cache_dir=/var/cache/nginx/camrelay-hls
js_file="$here/nginx/camrelay-aggregate.js"
standalone=""
tls_cert=""
tls_key=""
user=""
out=""
specs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen=${2:?--listen needs ADDR:PORT}; shift 2 ;;
    --tls-cert) tls_cert=${2:?--tls-cert needs a file}; shift 2 ;;
    --tls-key) tls_key=${2:?--tls-key needs a file}; shift 2 ;;
    --cache-dir) cache_dir=${2:?--cache-dir needs a directory}; shift 2 ;;
    --js) js_file=${2:?--js needs a file}; shift 2 ;;
    --standalone) standalone=${2:?--standalone needs a directory}; shift 2 ;;
    --user) user=${2:?--user needs a user name}; shift 2 ;;
    -o) out=${2:?-o needs a file}; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) specs+=("$1"); shift ;;
  esac
done
[ ${#specs[@]} -gt 0 ] || die "no instance given (NAME=CONFIG.json[@HOST:PORT]; see --help)"
[ -f "$js_file" ] || die "--js: $js_file not found"
if [ -n "$tls_cert$tls_key" ]; then
  if [ -z "$tls_cert" ] || [ -z "$tls_key" ]; then die "--tls-cert and --tls-key go together"; fi
  listen_tls="    listen $listen ssl;
    ssl_certificate $tls_cert;
    ssl_certificate_key $tls_key;"
else
  listen_tls="    listen $listen;"
fi
if [ -n "$standalone" ]; then
  mkdir -p "$standalone"
  standalone=$(cd "$standalone" && pwd)
  cache_dir="$standalone/cache/hls"
fi

# One JSON summary per instance: {name, addr, cameras[], udp:[min,max], rtp:[min,max],
# mqtt_url, client_id, per_ip, rate, seg_ttl}
summaries=()
names=()
for spec in "${specs[@]}"; do
  [[ "$spec" == *=* ]] || die "'$spec': expected NAME=CONFIG.json[@HOST:PORT]"
  name=${spec%%=*}
  rest=${spec#*=}
  file=${rest%@*}
  addr=""
  [[ "$rest" == *@* ]] && addr=${rest##*@}
  [[ "$name" =~ ^[a-z0-9_]{1,32}$ ]] || die "instance name '$name': use [a-z0-9_]{1,32}"
  for n in "${names[@]}"; do [ "$n" != "$name" ] || die "instance name '$name' given twice"; done
  [ -r "$file" ] || die "$name: cannot read $file"
  s=$(jq -c --arg name "$name" --arg addr "$addr" '
    def host: (.http.host // "0.0.0.0") | if . == "0.0.0.0" or . == "::" or . == "" then "127.0.0.1" else . end;
    {name: $name,
     addr: (if $addr != "" then $addr else "\(host):\(.http.port // 8080)" end),
     cameras: [(.cameras // [])[] | .id],
     udp: [(.webrtc.udp_port_min // 0), (.webrtc.udp_port_max // 0)],
     rtp: [(.rtp.port_min // 0), (.rtp.port_max // 0)],
     mqtt_url: (.mqtt.url // ""), client_id: (.mqtt.client_id // "camrelay"),
     per_ip: (.webrtc.max_viewers_per_ip // 20), rate: (.http.rate_limit_per_s // 20),
     conns: (.http.max_connections_per_ip // 64),
     seg_ttl: ((((.hls.max_files // 6) * (.hls.target_duration_s // 1.0)) | ceil) + 2)}' "$file") \
    || die "$name: $file is not valid JSON"
  addr_re='^[^[:space:]/]+:[0-9]{1,5}$'
  [[ $(jq -r .addr <<<"$s") =~ $addr_re ]] || die "$name: address '$(jq -r .addr <<<"$s")' is not HOST:PORT"
  summaries+=("$s")
  names+=("$name")
done
all=$(printf '%s\n' "${summaries[@]}" | jq -s -c .)

# Refusals: a camera on two instances; overlapping port ranges; one MQTT client id twice.
# (nginx's map matches strings ignoring case: ids that differ only in case count as one.)
dup=$(jq -r '[.[] | .name as $n | .cameras[] | {id: ., k: ascii_downcase, n: $n}] | group_by(.k)[]
  | select((map(.n) | unique | length) > 1)
  | "camera \(map(.id) | unique | join("/")) is on instances \(map(.n) | unique | join(", "))"' <<<"$all")
[ -z "$dup" ] || die "$dup"
# Strict on purpose: instances on one host bind the same ports, and instances behind one
# NAT address share its port space (the issue of distinct ranges holds either way).
for key in udp rtp; do
  what=$([ $key = udp ] && echo "webrtc.udp_port_min..max" || echo "rtp.port_min..port_max")
  clash=$(jq -r --arg k "$key" '[.[] | select(.[$k][0] > 0) | {n: .name, r: .[$k]}] as $l
    | [range(0; $l | length) as $i | range($i + 1; $l | length) as $j | [$l[$i], $l[$j]]
       | select(.[0].r[0] <= .[1].r[1] and .[1].r[0] <= .[0].r[1])
       | "\(.[0].n) \(.[0].r[0])..\(.[0].r[1]) and \(.[1].n) \(.[1].r[0])..\(.[1].r[1])"] | first // empty' <<<"$all")
  [ -z "$clash" ] || die "$what ranges overlap: $clash (give each instance its own range)"
done
clash=$(jq -r '[.[] | select(.mqtt_url != "")] | group_by([.mqtt_url, .client_id])[] | select(length > 1)
  | "instances \(map(.name) | join(", ")) use mqtt.client_id \(.[0].client_id) on \(.[0].mqtt_url)"' <<<"$all")
[ -z "$clash" ] || die "$clash: the broker keeps only one of them connected (set mqtt.client_id per instance)"
jq -r '.[] | select(.udp[0] == 0 and (.addr | test("^127\\.") | not))
  | "\(.name): webrtc.udp_port_min/max unset: open the whole ephemeral range to it, or give it a range"' <<<"$all" \
  | while read -r l; do warn "$l"; done
jq -r '.[] | select(.per_ip != 0 or .rate != 0 or .conns != 0)
  | "\(.name): per-client-IP limits (webrtc.max_viewers_per_ip \(.per_ip), http.rate_limit_per_s \(.rate), http.max_connections_per_ip \(.conns)) see nginx as one client: set them to 0 and let nginx limit per client (docs/scaling.md)"' <<<"$all" \
  | while read -r l; do warn "$l"; done

seg_ttl=$(jq '[.[] | .seg_ttl] | max' <<<"$all")
first=${names[0]}

# shellcheck disable=SC2016 # an nginx variable, not a shell one
unknown_camera='if ($camrelay_owner = "") { return 404 '"'"'{"error":{"code":"not_found","message":"unknown camera (no instance owns it)"}}\n'"'"'; }'
# Playlists: 1 s; the key holds the LL-HLS directives and the credential (a viewer token's
# playlist carries it in its segment URIs; nothing cached reaches another account).
playlist_cache="        $unknown_camera
        default_type application/json;
        proxy_buffering on;
        proxy_cache camrelay_hls;
        proxy_cache_key \"\$uri|\$arg__HLS_msn|\$arg__HLS_part|\$arg_token|\$http_authorization|\$cookie_camrelay_session\";
        proxy_cache_valid 200 1s;
        proxy_cache_lock on;
        proxy_cache_lock_timeout 6s;
        proxy_cache_lock_age 6s;
        proxy_cache_use_stale updating;
        proxy_ignore_headers Cache-Control Expires Set-Cookie Vary X-Accel-Expires;
        proxy_hide_header Cache-Control;
        add_header Cache-Control \"no-cache\" always;
        add_header X-Cache-Status \$upstream_cache_status always;
        proxy_pass http://\$camrelay_owner;"
# Segments: max_files x target_duration + 2 s (the longest any instance keeps one).
segment_cache="        $unknown_camera
        default_type application/json;
        proxy_buffering on;
        proxy_cache camrelay_hls;
        proxy_cache_key \"\$uri|\$arg_token|\$http_authorization|\$cookie_camrelay_session\";
        proxy_cache_valid 200 ${seg_ttl}s;
        proxy_cache_lock on;
        proxy_cache_lock_timeout 6s;
        proxy_ignore_headers Cache-Control Expires Set-Cookie Vary X-Accel-Expires;
        proxy_hide_header Cache-Control;
        add_header Cache-Control \"private, max-age=${seg_ttl}\" always;
        add_header X-Cache-Status \$upstream_cache_status always;
        proxy_pass http://\$camrelay_owner;"

# proxy_set_header is inherited only by locations that set none: the WebSocket-capable
# locations repeat the whole set (Host matters: camrelay checks a cookie WebSocket's Origin
# against it; X-Forwarded-Proto: the login cookie's Secure flag).
# shellcheck disable=SC2016 # nginx variables
forward_headers='        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $camrelay_connection;'

# Per instance: /_camrelay/NAME/… (the aggregator's subrequests; static locations, because
# subrequests share their parent's variables) and /instances/NAME/… (one instance by name:
# its /metrics, /health, recordings, API cameras, accounts).
instance_locations=""
for n in "${names[@]}"; do
  instance_locations+="    location /_camrelay/$n/ {
        internal;
        subrequest_output_buffer_size 4m;
        proxy_buffering on;
        proxy_read_timeout 5s;
        proxy_pass http://camrelay_$n/;
    }
    location /instances/$n/ {
        set \$camrelay_instance camrelay_$n;
$forward_headers
        proxy_pass http://camrelay_$n/;
    }
"
done

emit() {
  echo "# Generated by scripts/gen-nginx.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from:"
  for spec in "${specs[@]}"; do echo "#   $spec"; done
  echo "# Do not edit: change the instances' configuration files and generate again (docs/scaling.md)."
  echo
  for s in "${summaries[@]}"; do
    jq -r '"upstream camrelay_\(.name) {\n    server \(.addr) max_fails=0;\n    keepalive 32;\n}"' <<<"$s"
  done
  echo
  echo "# camera id -> the instance that owns it"
  echo "map \$camrelay_camera \$camrelay_owner {"
  echo "    default \"\";"
  jq -r '[.[] | .name as $n | .cameras[] | {id: ., k: ascii_downcase, n: $n}] | unique_by(.k)[]
    | "    \(.id) camrelay_\(.n);"' <<<"$all"
  echo "}"
  cat <<EOF
map \$http_upgrade \$camrelay_connection {
    default upgrade;
    ""      "";
}

# HLS through a cache: playlists for 1 s, segments for max_files x target_duration + 2 s
# (segment names are reused after an HLS restart, so not longer). proxy_cache_lock makes
# concurrent misses wait for the one request that goes to the origin.
proxy_cache_path $cache_dir levels=1:2 keys_zone=camrelay_hls:16m max_size=2g inactive=2m use_temp_path=off;

js_import camrelay_aggregate from $js_file;

server {
$listen_tls
    server_tokens off;
    client_max_body_size 64k;

    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    proxy_set_header Connection "";
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_connect_timeout 2s;
    proxy_read_timeout 120s;
    proxy_send_timeout 60s;
    # a request is never retried on another instance: only the owner has the camera
    proxy_next_upstream off;
    proxy_buffering off;
    error_page 502 504 = @camrelay_down;

    set \$camrelay_instances "${names[*]}";

    location @camrelay_down {
        default_type application/json;
        add_header Retry-After 5 always;
        add_header Cache-Control no-store always;
        return 503 '{"error":{"code":"unavailable","message":"the camrelay instance serving this request (\$camrelay_owner\$camrelay_instance) is not answering; retry later"}}\n';
    }

    # --- HLS, cached (the playlist key holds the LL-HLS directives _HLS_msn/_HLS_part and the
    # credential; the segment key the credential: nothing cached reaches another account) ---
    location ~ "^/streams/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})/hls/(index|ts|fmp4)\.m3u8\$" {
${playlist_cache}
    }
    location ~ "^/api/cameras/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})/stream/playlist\.m3u8\$" {
${playlist_cache}
    }
    # MPEG-TS and fMP4 segments, low-latency parts (a part asked for before it exists is held
    # by camrelay; proxy_cache_lock makes the other players wait for that one request).
    location ~ "^/streams/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})/hls/(segment[0-9]{1,9}\.(ts|m4s)|part[0-9]{1,9}\.[0-9]{1,3}\.m4s|init\.mp4)\$" {
${segment_cache}
    }
    location ~ "^/api/cameras/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})/stream/segment/segment[0-9]{1,9}\.ts\$" {
${segment_cache}
    }

    # --- everything else of one camera: REST, WHEP (POST and its resource URLs), MJPEG,
    # snapshots, recording control, the seed-003 aliases ---
    location ~ "^/(streams|viewers|cameras)/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})(/|\$)" {
        $unknown_camera
        default_type application/json;
        proxy_pass http://\$camrelay_owner;
    }
    location ~ "^/api/stream/(start|stop|status)/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})\$" {
        $unknown_camera
        default_type application/json;
        proxy_pass http://\$camrelay_owner;
    }
    location ~ "^/api/cameras/(?<camrelay_camera>[A-Za-z0-9_-]{1,64})/" {
        $unknown_camera
        default_type application/json;
        proxy_pass http://\$camrelay_owner;
    }

    # --- WebSocket signaling: the camera is named in the URL (?camera=ID; web/viewer.js does) ---
    location ~ "^/(signaling|webrtc)\$" {
        set \$camrelay_camera \$arg_camera;
        default_type application/json;
        if (\$camrelay_camera = "") { return 400 '{"error":{"code":"invalid_argument","message":"camera: behind the camrelay front, name the camera in the URL (/signaling?camera=ID)"}}\n'; }
        $unknown_camera
$forward_headers
        proxy_read_timeout 24h;  # an idle viewer page keeps its signaling socket
        proxy_pass http://\$camrelay_owner;
    }

    # --- lists over every instance (njs: scripts/nginx/camrelay-aggregate.js) ---
    location ~ "^/(streams|cameras|viewers|api/stream/active)\$" {
        if (\$request_method !~ ^(GET|HEAD|OPTIONS)\$) { return 405 '{"error":{"code":"method_not_allowed","message":"behind the camrelay front this list is read-only; add cameras on an instance: /instances/{name}/cameras"}}\n'; }
        default_type application/json;
        js_content camrelay_aggregate.list;
    }
    location = /health {
        default_type application/json;
        js_content camrelay_aggregate.health;
    }
${instance_locations}
    location /instances/ {
        default_type application/json;
        return 404 '{"error":{"code":"not_found","message":"unknown instance"}}\n';
    }

    # --- pages, /auth/..., /openapi.yaml, recordings, the seed aliases of the first camera:
    # the first instance ---
    location / {
$forward_headers
        proxy_pass http://camrelay_$first;
    }
}
EOF
}

if [ -n "$standalone" ]; then
  mkdir -p "$standalone/logs" "$standalone/tmp" "$cache_dir"
  body() {
    [ -z "$user" ] || echo "user $user;"
    cat <<EOF
load_module /usr/lib/nginx/modules/ngx_http_js_module.so;
worker_processes 1;
pid $standalone/nginx.pid;
error_log $standalone/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log $standalone/logs/access.log;
    client_body_temp_path $standalone/tmp/body;
    proxy_temp_path $standalone/tmp/proxy;
    fastcgi_temp_path $standalone/tmp/fastcgi;
    uwsgi_temp_path $standalone/tmp/uwsgi;
    scgi_temp_path $standalone/tmp/scgi;
EOF
    emit | sed 's/^/    /'
    echo "}"
  }
  if [ -n "$out" ]; then body >"$out"; else body >"$standalone/nginx.conf"; fi
elif [ -n "$out" ]; then
  emit >"$out"
else
  emit
fi
