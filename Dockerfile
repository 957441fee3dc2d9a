# The Digit Recognizer app only: Streamlit + onnxruntime serving models/*.onnx. No TensorFlow,
# Keras or OpenCV: the build fails if any of them is importable. Training stays on the dev box.
#
#   make image                                   # podman build + smoke test (deploy/image.sh)
#   docker run -p 8501:8501 -v digits-data:/data digit-recognizer

# The base, pinned by digest so that a rebuild gets the same bytes. Refresh it on purpose:
#   docker pull python:3.11-slim && docker inspect --format '{{index .RepoDigests 0}}' python:3.11-slim
# and build with --build-arg BASE_IMAGE=python:3.11-slim@sha256:<digest> (deploy/image.sh passes
# the digest of the local base it builds on).
ARG BASE_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# ---- build: the app's locked requirements in a virtual environment, copied whole into the runtime ----
FROM ${BASE_IMAGE} AS build
# Where a machine reaches PyPI through its own certificate authority; unset elsewhere.
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/venv
# Every package pinned with its sha256 (pip refuses anything else), wheels only: no setup code runs.
COPY requirements-app.lock /tmp/requirements-app.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: -r /tmp/requirements-app.lock
# The runtime installs nothing and runs no library's own test suite: leave pip, the tests of
# pandas, NumPy and pyarrow, and pyarrow's C++ headers behind (about 70 MB).
RUN /opt/venv/bin/pip uninstall --yes --quiet pip \
    && cd /opt/venv/lib/python3*/site-packages \
    && rm -rf pandas/tests numpy/tests numpy/*/tests pyarrow/tests pyarrow/include pyarrow/src

# ---- runtime ----
FROM ${BASE_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    DIGITS_DATA_DIR=/data

# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it; /data is the user's to write.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid app --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app \
    && mkdir /data && chown app:app /data

COPY --from=build /opt/venv /opt/venv
# no-training-libraries-check: the app image must never carry the training stack.
RUN ["/opt/venv/bin/python", "-c", "import importlib.util, sys; found = [m for m in ('tensorflow', 'keras', 'cv2') if importlib.util.find_spec(m) is not None]; sys.exit(f'the app image must not contain {found}: see requirements-app.txt') if found else print('no tensorflow, keras or cv2: ok')"]

WORKDIR /srv/digits
# Code and model belong to root and are read-only for the app user (and never change: hence no
# file watcher above). Only config.toml of .streamlit/: a local secrets.toml must not ship.
COPY app/ app/
COPY models/*.onnx models/
COPY .streamlit/config.toml .streamlit/config.toml

USER 10001:10001
VOLUME /data
EXPOSE 8501
# curl is not in slim images; Python is. Follows STREAMLIT_SERVER_PORT when a run changes the port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('STREAMLIT_SERVER_PORT', '8501'); sys.exit(urllib.request.urlopen(f'http://localhost:{port}/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["streamlit", "run", "app/main.py", "--server.address=0.0.0.0", "--server.port=8501", "--server.headless=true"]
