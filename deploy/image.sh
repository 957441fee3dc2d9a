#!/usr/bin/env bash
# Build the app's container image `digit-recognizer` with podman and smoke-test it.
#
#   bash deploy/image.sh              # set up podman, base image once, build, smoke test, sizes
#   bash deploy/image.sh measure-tf   # once: size of the same image with TensorFlow added
#
# The smoke test runs the container as deploy/k8s.yaml does (read-only root, a tmpfs on /tmp, the
# data volume) on a free local port, waits for /_stcore/health to answer `ok`, recognises a drawn
# 1 and 0 and 20 MNIST digits with `python -m app.predict --json` inside the container (at least
# 90% right), checks that TensorFlow, Keras and OpenCV cannot be imported, that the server's uid
# is not 0 and that it can write to /data, draws a digit in the page with headless Chromium when
# the app environment has Playwright (.venv/app) and reads the server's memory after that first
# prediction, then removes the container. It also proves the build's guard: the same Dockerfile with a stand-in
# `tensorflow` package in the venv must fail to build. Safe to run again: every step reuses what
# is already there. Exits non-zero with a message on the first failure.
#
# Settings (environment): IMAGE (digit-recognizer), SMOKE_PORT (8599, or the next free port),
# SMOKE_REPORT (a path: write the results as JSON there, for tests/deploy/test_image.py),
# PULL_BASE=1 (pull the real python:3.11-slim instead of building the Debian stand-in).
set -euo pipefail

IMAGE=${IMAGE:-digit-recognizer}
BASE=docker.io/library/python:3.11-slim
SMOKE_NAME=${SMOKE_NAME:-digit-recognizer-smoke}
SMOKE_PORT=${SMOKE_PORT:-8599}
SMOKE_REPORT=${SMOKE_REPORT:-}
HEALTH_TIMEOUT=120  # seconds for Streamlit to answer its health check
EXEC_TIMEOUT=120  # seconds for any one command inside the container
CONTAINER_TIMEOUT=1800  # the smoke container dies after this, even if this script is killed
MIN_ACCURACY=0.9  # of the smoke test's digits
TF_PIN="tensorflow-cpu==2.21.0"  # for measure-tf only: the training side's pin

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APP_PY=$ROOT/.venv/app/bin/python  # for the page check in Chromium, when it exists
WORK=$(mktemp -d)
trap 'cleanup' EXIT
trap 'exit 130' INT TERM  # so that EXIT's cleanup also runs when a test's timeout stops us

die() { echo "image.sh: FAILED: $*" >&2; exit 1; }
step() { echo "==> $*"; }
mb() { python3 -c "print(f'{int($1) / 1e6:.0f} MB')"; }
# A command inside the smoke container, never waiting forever.
in_container() { timeout "$EXEC_TIMEOUT" $P exec "$SMOKE_NAME" "$@"; }

cleanup() {
    if [ -n "${P:-}" ] && $P container exists "$SMOKE_NAME" 2>/dev/null; then
        $P rm -f -v -t 0 "$SMOKE_NAME" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}

# podman, runc and debootstrap from Debian when missing (as root; otherwise say what to install).
ensure_tools() {
    local missing=()
    for tool in podman runc debootstrap; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: install them (apt-get install -y ${missing[*]}) or run as root"
    step "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# The settings podman needs in this sandbox (no cgroup v2 delegation, no systemd, no ulimits),
# in a file of the project's cache, not in the machine's configuration.
configure_podman() {
    local conf_dir="$ROOT/.cache/podman"
    mkdir -p "$conf_dir"
    printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' \
        > "$conf_dir/containers.conf"
    export CONTAINERS_CONF="$conf_dir/containers.conf"
    P="podman --runtime runc --cgroup-manager=cgroupfs"
    $P info >/dev/null 2>&1 || die "podman does not work here: $($P info 2>&1 | tail -n 3)"
}

# python:3.11-slim cannot be pulled here, so a stand-in with the same Python (Debian bookworm's
# 3.11) is made from Debian packages, once per machine. It is about twice the real one's size.
ensure_base() {
    if $P image exists "$BASE"; then
        return
    fi
    if [ "${PULL_BASE:-0}" = 1 ]; then
        step "pulling $BASE"
        $P pull "$BASE" && return
        die "could not pull $BASE"
    fi
    [ "$(id -u)" = 0 ] || die "$BASE is missing and building the stand-in needs root (debootstrap)"
    step "building the stand-in for $BASE with debootstrap (a few minutes, once per machine)"
    local mirror rootfs started
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    rootfs="$WORK/rootfs"
    mkdir -p "$rootfs"
    started=$SECONDS
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    # Drop what an image does not need: apt lists, caches, logs, docs.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    tar -C "$rootfs" -c . | $P import --quiet --change 'CMD ["python3"]' - "$BASE" >/dev/null \
        || die "podman import of the stand-in base failed"
    rm -rf "$rootfs"
    echo "stand-in base built in $((SECONDS - started)) s"
}

# `podman build` of the project with the log in `$1`, further options after it. Docker format,
# because OCI images drop HEALTHCHECK.
podman_build() {
    local log=$1
    shift
    local cert=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
    local cert_args=()
    # Pip inside the build must trust the certificate authority this machine reaches PyPI through.
    [ -f "$cert" ] && cert_args=(-v "$cert:$cert:ro" --build-arg "PIP_CERT=$cert")
    $P build --network=host --isolation=chroot --format docker "${cert_args[@]}" \
        --build-arg "BASE_IMAGE=$(base_ref)" "$@" "$ROOT" > "$log" 2>&1
}

# The local base by digest (the Dockerfile's BASE_IMAGE): name@digest where podman resolves it,
# else the image's own id, which is a digest of its content too.
base_ref() {
    local ref
    ref="$BASE@$($P image inspect -f '{{.Digest}}' "$BASE")"
    $P image exists "$ref" 2>/dev/null || ref=$($P image inspect -f '{{.Id}}' "$BASE")
    echo "$ref"
}

# Build `$1` from the Dockerfile `$2` (default: the project's), further `podman build` options
# after those.
build() {
    local tag=$1 dockerfile=${2:-$ROOT/Dockerfile}
    shift $(( $# < 2 ? $# : 2 ))
    local started=$SECONDS
    podman_build "$WORK/build.log" "$@" -f "$dockerfile" -t "$tag" \
        || { tail -n 30 "$WORK/build.log" >&2; die "building $tag failed (log above)"; }
    BUILD_SECONDS=$((SECONDS - started))
    echo "built $tag in $BUILD_SECONDS s"
}

# The Dockerfile's guard, proved: with a stand-in `tensorflow` package put into the venv just
# before the check, the build must fail, and fail at the check. Seconds: the venv comes from the
# layer cache.
check_guard() {
    local dockerfile="$WORK/Dockerfile.fake-tensorflow" log="$WORK/guard.log"
    awk '
        /^# no-training-libraries-check/ {
            print "RUN [\"/opt/venv/bin/python\", \"-c\", \"import pathlib, sysconfig; p = pathlib.Path(sysconfig.get_paths()[\x27purelib\x27], \x27tensorflow\x27); p.mkdir(); (p / \x27__init__.py\x27).touch()\"]"
        }
        { print }
    ' "$ROOT/Dockerfile" > "$dockerfile"
    grep -q "'tensorflow'); p.mkdir()" "$dockerfile" || die "could not add a fake tensorflow to the Dockerfile copy"
    step "guard: a build with tensorflow importable must fail"
    if podman_build "$log" -f "$dockerfile" -t "$IMAGE-guard-check"; then
        $P rmi -f "$IMAGE-guard-check" >/dev/null 2>&1 || true
        die "the Dockerfile built an image in which tensorflow is importable"
    fi
    grep -q "the app image must not contain \['tensorflow'\]" "$log" \
        || { tail -n 20 "$log" >&2; die "the guard build failed, but not at the TensorFlow check (log above)"; }
    GUARD_MESSAGE=$(grep -m 1 -o "the app image must not contain \[[^]]*\]: see requirements-app.txt" "$log")
    echo "the build stops: $GUARD_MESSAGE"
}

check_sources() {
    [ -f "$ROOT/app/main.py" ] && [ -f "$ROOT/app/page.py" ] || die "app/main.py or app/page.py is missing: nothing to serve"
    compgen -G "$ROOT/models/*.onnx" >/dev/null || die "no models/*.onnx: run 'make export' first"
    [ -f "$ROOT/.streamlit/config.toml" ] || die ".streamlit/config.toml is missing"
}

free_port() {
    python3 - "$1" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for candidate in range(port, port + 100):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        print(candidate)
        break
else:
    sys.exit(f"no free port in {port}..{port + 99}")
EOF
}

# Writes a drawn 1 and 0 and (when the test fixture is there) 20 MNIST digits as PNGs inside the
# container, and prints {path: label}.
MAKE_DIGITS='
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

out = Path("/tmp/smoke")
cases = {}
for label, shape in ((1, "line"), (0, "ellipse")):
    canvas = Image.new("L", (280, 280), 0)
    pen = ImageDraw.Draw(canvas)
    if shape == "line":
        pen.line([(140, 45), (140, 235)], fill=255, width=20)
    else:
        pen.ellipse([(80, 45), (200, 235)], outline=255, width=20)
    path = out / f"drawn-{label}.png"
    canvas.save(path)
    cases[str(path)] = label
mnist = out / "mnist.npz"
if mnist.exists():
    with np.load(mnist) as z:
        for i, (pixels, label) in enumerate(zip(z["x"][:20], z["y"][:20])):
            path = out / f"mnist-{i}-{label}.png"
            Image.fromarray(pixels).save(path)
            cases[str(path)] = int(label)
print(json.dumps(cases))
'

# Compares the CLI's JSON lines with the expected labels; prints a one-line summary as JSON.
CHECK_PREDICTIONS='
import json, sys
expected = json.load(open(sys.argv[1]))
lines = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
by_file = {r["file"]: r for r in lines}
missing = sorted(set(expected) - set(by_file))
if missing:
    sys.exit(f"app.predict printed no result for {missing}")
for r in lines:
    for key in ("file", "digit", "confidence", "probabilities", "status", "message"):
        if key not in r:
            sys.exit(f"app.predict result without {key!r}: {r}")
    if r["digit"] is not None and len(r["probabilities"]) != 10:
        sys.exit(f"expected 10 probabilities: {r}")
right = [f for f, label in expected.items() if by_file[f]["digit"] == label]
wrong = {f: (label, by_file[f]["digit"], by_file[f]["status"]) for f, label in expected.items()
         if f not in right}
accuracy = len(right) / len(expected)
print(json.dumps({"digits": len(expected), "right": len(right), "accuracy": accuracy,
                  "wrong": wrong}))
if accuracy < float(sys.argv[3]):
    sys.exit(f"only {len(right)}/{len(expected)} digits recognised: {wrong}")
'

smoke_test() {
    check_sources
    local port started health="" uid tf_import rss_kb
    port=$(free_port "$SMOKE_PORT") || die "no free port near $SMOKE_PORT"
    step "smoke test: $IMAGE on 127.0.0.1:$port"
    $P rm -f -v -t 0 "$SMOKE_NAME" >/dev/null 2>&1 || true
    # The image's own command, on another port (8501 may be taken on this machine); the
    # environment variable makes the image's HEALTHCHECK follow the port. As in deploy/k8s.yaml,
    # only /data (the image's volume) and /tmp (a tmpfs) can be written.
    $P run -d --name "$SMOKE_NAME" --network=host --timeout "$CONTAINER_TIMEOUT" \
        --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,size=64m,mode=1777 \
        -e "STREAMLIT_SERVER_PORT=$port" "$IMAGE" \
        streamlit run app/main.py --server.address=127.0.0.1 "--server.port=$port" \
        --server.headless=true >/dev/null 2>"$WORK/run.log" \
        || { cat "$WORK/run.log" >&2; die "podman run $IMAGE failed"; }
    started=$SECONDS
    until [ "$health" = ok ]; do
        if [ "$($P inspect -f '{{.State.Running}}' "$SMOKE_NAME")" != true ]; then
            $P logs "$SMOKE_NAME" 2>&1 | tail -n 30 >&2
            die "the container stopped before answering its health check (logs above)"
        fi
        if (( SECONDS - started > HEALTH_TIMEOUT )); then
            $P logs "$SMOKE_NAME" 2>&1 | tail -n 30 >&2
            die "no 'ok' from http://127.0.0.1:$port/_stcore/health within $HEALTH_TIMEOUT s"
        fi
        sleep 1
        health=$(python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$port/_stcore/health', timeout=2).read().decode())" 2>/dev/null || true)
    done
    HEALTHY_SECONDS=$((SECONDS - started))
    echo "/_stcore/health answered '$health' after $HEALTHY_SECONDS s"
    timeout "$EXEC_TIMEOUT" $P healthcheck run "$SMOKE_NAME" >/dev/null 2>&1 || die "the image's HEALTHCHECK failed (podman healthcheck run $SMOKE_NAME)"
    echo "the image's HEALTHCHECK passes"

    # The page itself renders its HTML shell (the digits come over the websocket).
    python3 -c "import urllib.request as u; assert b'<div id=\"root\">' in u.urlopen('http://127.0.0.1:$port/', timeout=5).read()" \
        || die "http://127.0.0.1:$port/ does not serve the Streamlit page"

    in_container mkdir -p /tmp/smoke || die "podman exec failed"
    if [ -f "$ROOT/tests/fixtures/mnist_test_500.npz" ]; then
        timeout "$EXEC_TIMEOUT" $P exec -i "$SMOKE_NAME" sh -c 'cat > /tmp/smoke/mnist.npz' \
            < "$ROOT/tests/fixtures/mnist_test_500.npz" || die "could not copy MNIST digits in"
    fi
    in_container /opt/venv/bin/python -c "$MAKE_DIGITS" > "$WORK/expected.json" \
        || die "could not write test digits inside the container"
    # shellcheck disable=SC2046  # one argument per file, none has spaces
    in_container /opt/venv/bin/python -m app.predict --json \
        $(python3 -c "import json, sys; print(' '.join(json.load(open(sys.argv[1]))))" "$WORK/expected.json") \
        > "$WORK/predictions.jsonl" 2> "$WORK/predict.err" \
        || { cat "$WORK/predict.err" >&2; die "python -m app.predict --json failed inside the container"; }
    python3 -c "$CHECK_PREDICTIONS" "$WORK/expected.json" "$WORK/predictions.jsonl" "$MIN_ACCURACY" \
        > "$WORK/accuracy.json" || die "the container's predictions are wrong (see above)"
    echo "app.predict in the container: $(cat "$WORK/accuracy.json")"
    echo "  e.g. $(head -n 1 "$WORK/predictions.jsonl" | cut -c 1-160)"

    for module in tensorflow keras cv2; do
        if in_container /opt/venv/bin/python -c "import $module" >/dev/null 2>&1; then
            die "'import $module' works inside the image: the app image must not ship it"
        fi
    done
    tf_import=$(in_container /opt/venv/bin/python -c "import tensorflow" 2>&1 | tail -n 1 || true)
    echo "import tensorflow in the container: $tf_import"

    # The server's own uid (pid 1 is streamlit: the image's CMD in exec form), not that of exec.
    uid=$(in_container awk '/^Uid:/{print $2}' /proc/1/status) || die "could not read the server's uid"
    [ -n "$uid" ] && [ "$uid" != 0 ] || die "the app server runs as root (uid '$uid') inside the container"
    echo "the app server runs as uid $uid"

    # The drawings volume is the app user's to write (the rest of the filesystem is read-only).
    in_container /opt/venv/bin/python -c "import os, tempfile; tempfile.NamedTemporaryFile(dir=os.environ['DIGITS_DATA_DIR']).close()" \
        || die "the app user cannot write to \$DIGITS_DATA_DIR (/data) in the container"
    echo "the app user can write to /data"

    rss_kb=$(in_container awk '/^VmRSS/{print $2}' /proc/1/status) \
        || die "could not read the app's memory use"
    echo "server memory, no session yet: $((rss_kb / 1024)) MiB resident"
    page_memory "$port"

    # What the app layers are made of: the venv's largest packages.
    in_container sh -c 'du -sk /opt/venv/lib/python3*/site-packages/* | sort -rn | head -n 8' \
        > "$WORK/packages.txt" || die "could not measure the venv's packages"
    echo "largest packages: $(awk '{printf "%s%s %d MB", sep, $2, $1 * 1024 / 1e6; sep=", "}' "$WORK/packages.txt" | sed 's#/opt/venv/lib/python3[^/]*/site-packages/##g')"

    RESULT_HEALTH=$health RESULT_UID=$uid RESULT_TF=$tf_import RESULT_PORT=$port RESULT_RSS=$rss_kb
    # (podman complains here, and at run, that there is no systemd to time health checks.)
    $P rm -f -v -t 0 "$SMOKE_NAME" >/dev/null 2>&1 || die "could not remove the smoke-test container"
}

# The server's memory after a first prediction through the page: headless Chromium draws a
# digit on the canvas (deploy/page_check.py) and the server's resident memory (VmRSS) and its
# peak (VmHWM) are read from /proc/1/status in the container. Skipped, with a message, without
# the app environment's Playwright or a Chromium.
page_memory() {
    local port=$1 status
    PAGE_RSS_KB="" PAGE_HWM_KB="" PAGE_RESULT=""
    if [ ! -x "$APP_PY" ] || ! "$APP_PY" -c "import playwright" 2>/dev/null; then
        echo "memory after a first prediction: not measured (no Playwright in .venv/app: make run)"
        return
    fi
    step "page: a digit drawn in headless Chromium"
    PAGE_RESULT=$(cd "$ROOT" && timeout 300 "$APP_PY" -m deploy.page_check "http://127.0.0.1:$port/") \
        || { $P logs "$SMOKE_NAME" 2>&1 | tail -n 20 >&2; die "the page did not show a prediction for a drawn digit"; }
    if [ "$PAGE_RESULT" = skipped ]; then
        echo "memory after a first prediction: not measured (no Chromium)"
        PAGE_RESULT=""
        return
    fi
    echo "the page read the drawing: $PAGE_RESULT"
    status=$(in_container cat /proc/1/status) || die "could not read the server's memory"
    PAGE_RSS_KB=$(awk '/^VmRSS/{print $2}' <<< "$status")
    PAGE_HWM_KB=$(awk '/^VmHWM/{print $2}' <<< "$status")
    echo "server memory after the first prediction: $((PAGE_RSS_KB / 1024)) MiB resident, peak $((PAGE_HWM_KB / 1024)) MiB"
}

report_sizes() {
    local image base
    image=$($P image inspect -f '{{.Size}}' "$IMAGE")
    base=$($P image inspect -f '{{.Size}}' "$BASE")
    IMAGE_BYTES=$image BASE_BYTES=$base APP_BYTES=$((image - base))
    echo "sizes: image $(mb "$image"), base $(mb "$base"), app layers $(mb $((image - base)))"
}

write_report() {
    [ -n "$SMOKE_REPORT" ] || return 0
    RESULT_HEALTH=$RESULT_HEALTH RESULT_UID=$RESULT_UID RESULT_TF=$RESULT_TF \
    RESULT_PORT=$RESULT_PORT RESULT_RSS=$RESULT_RSS IMAGE_BYTES=$IMAGE_BYTES BASE_BYTES=$BASE_BYTES APP_BYTES=$APP_BYTES \
    BUILD_SECONDS=$BUILD_SECONDS HEALTHY_SECONDS=$HEALTHY_SECONDS IMAGE=$IMAGE \
    PAGE_RSS_KB=$PAGE_RSS_KB PAGE_HWM_KB=$PAGE_HWM_KB PAGE_RESULT=$PAGE_RESULT GUARD_MESSAGE=$GUARD_MESSAGE \
    python3 - "$WORK/accuracy.json" "$WORK/predictions.jsonl" "$SMOKE_REPORT" <<'EOF'
import json, os, sys
env = os.environ
kib = lambda name: int(env[name]) * 1024 if env[name] else None
report = {
    "image": env["IMAGE"],
    "health": env["RESULT_HEALTH"],
    "uid": int(env["RESULT_UID"]),
    "tensorflow_import": env["RESULT_TF"],
    "guard": env["GUARD_MESSAGE"],
    "port": int(env["RESULT_PORT"]),
    "idle_rss_bytes": kib("RESULT_RSS"),
    # None when the page could not be driven (no Playwright or Chromium on this machine).
    "page": json.loads(env["PAGE_RESULT"]) if env["PAGE_RESULT"] else None,
    "first_prediction_rss_bytes": kib("PAGE_RSS_KB"),
    "peak_rss_bytes": kib("PAGE_HWM_KB"),
    "accuracy": json.load(open(sys.argv[1])),
    "predictions": [json.loads(line) for line in open(sys.argv[2]) if line.strip()],
    "sizes": {k: int(env[k.upper() + "_BYTES"]) for k in ("image", "base", "app")},
    "seconds": {"build": int(env["BUILD_SECONDS"]), "healthy": int(env["HEALTHY_SECONDS"])},
}
json.dump(report, open(sys.argv[3], "w"), indent=1)
EOF
}

# The same image with TensorFlow installed, built from a copy of the Dockerfile without the
# step that forbids it, to show what keeping training out of the image saves. Then deleted.
measure_tf() {
    check_sources
    local variant="$IMAGE-with-tensorflow" dockerfile="$WORK/Dockerfile.tensorflow"
    awk -v pin="$TF_PIN" '
        /^# no-training-libraries-check/ { skip = 1; next }
        skip && /^RUN / { skip = 0; next }
        { print }
        /^RUN .*pip install .*requirements-app.lock/ { print "RUN /opt/venv/bin/pip install " pin }
    ' "$ROOT/Dockerfile" > "$dockerfile"
    grep -q "$TF_PIN" "$dockerfile" || die "could not add $TF_PIN to the Dockerfile copy"
    step "building $variant (adds $TF_PIN; several minutes)"
    # No layer cache: nothing of it is left behind once the image is deleted.
    build "$variant" "$dockerfile" --layers=false
    local with_tf
    with_tf=$($P image inspect -f '{{.Size}}' "$variant")
    report_sizes
    echo "sizes: with TensorFlow $(mb "$with_tf") (app layers $(mb $((with_tf - BASE_BYTES)))), +$(mb $((with_tf - IMAGE_BYTES))) over $IMAGE"
    $P rmi -f "$variant" >/dev/null || die "could not delete $variant"
}

main() {
    local what=${1:-all}
    ensure_tools
    configure_podman
    case "$what" in
        all)
            check_sources
            ensure_base
            step "building $IMAGE"
            build "$IMAGE"
            check_guard
            smoke_test
            report_sizes
            write_report
            echo "image.sh: OK ($IMAGE passed its smoke test)"
            ;;
        base) ensure_base ;;
        build) ensure_base && build "$IMAGE" ;;
        measure-tf)
            ensure_base
            $P image exists "$IMAGE" || build "$IMAGE"
            measure_tf
            ;;
        *) die "unknown command '$what' (all, base, build, measure-tf)" ;;
    esac
}

main "$@"
