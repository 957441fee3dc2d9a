"""The deployment files, read statically: what ships in the image and how Kubernetes runs it.

Needs no container engine: parses deploy/k8s.yaml, the Dockerfile and .dockerignore.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PORT = 8501
HEALTH = "/_stcore/health"
TRAINING_ONLY = ("tensorflow", "keras", "tf2onnx", "opencv", "torch")


# ---- Kubernetes ----


@pytest.fixture(scope="module")
def manifests():
    with open(ROOT / "deploy" / "k8s.yaml") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    return {d["kind"]: d for d in docs}


@pytest.fixture(scope="module")
def pod(manifests):
    return manifests["Deployment"]["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def container(pod):
    (app,) = pod["containers"]
    return app


def test_deployment_service_and_claim_exist(manifests):
    assert {
        "Deployment", "Service", "PersistentVolumeClaim", "Ingress", "NetworkPolicy", "PodDisruptionBudget",
    } <= set(manifests)


def test_several_replicas(manifests):
    assert manifests["Deployment"]["spec"]["replicas"] >= 2


def port_number(container, port):
    """A probe's port, by number or by the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return number


@pytest.mark.parametrize("probe", ["livenessProbe", "startupProbe"])
def test_liveness_and_startup_hit_streamlit_health(container, probe):
    check = container[probe]["httpGet"]
    assert (check["path"], port_number(container, check["port"])) == (HEALTH, PORT)


def test_readiness_runs_app_health(container):
    # Ready means a model loads and /data can be written (app/health.py), not just "listening".
    probe = container["readinessProbe"]
    assert probe["exec"]["command"] == ["python", "-m", "app.health"]
    assert probe["timeoutSeconds"] >= 10  # it starts Python and loads the model


def test_image_tag_is_immutable(container):
    image = container["image"]
    name, _, tag = image.rpartition("@")[0].rpartition(":") if "@" in image else image.rpartition(":")
    assert "@sha256:" in image or (tag and tag != "latest" and "/" not in tag), image


def test_volume_ownership_changed_only_on_mismatch(pod):
    assert pod["securityContext"]["fsGroupChangePolicy"] == "OnRootMismatch"


def test_replicas_spread_over_nodes_and_kept_through_disruptions(manifests, pod):
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert spread["labelSelector"]["matchLabels"].items() <= labels.items()
    budget = manifests["PodDisruptionBudget"]["spec"]
    assert budget["minAvailable"] >= 1 and budget["selector"]["matchLabels"].items() <= labels.items()
    assert budget["minAvailable"] < manifests["Deployment"]["spec"]["replicas"]


def test_ingress_is_the_way_in_with_tls_and_cookie_affinity(manifests):
    ingress = manifests["Ingress"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-secure"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"
    assert int(annotations["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    assert int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "10m"
    (tls,) = ingress["spec"]["tls"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] in tls["hosts"] and tls["secretName"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    service = manifests["Service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["number"] in [p["port"] for p in service["spec"]["ports"]]
    assert service["spec"]["type"] == "ClusterIP"  # nothing reaches the pods past the Ingress


def test_network_policy_allows_no_egress(manifests):
    policy = manifests["NetworkPolicy"]["spec"]
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["egress"] == []
    (rule,) = policy["ingress"]
    assert [p["port"] for p in rule["ports"]] == [PORT]


def test_container_port(container):
    assert [p["containerPort"] for p in container["ports"]] == [PORT]


def mebibytes(quantity):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if str(quantity).endswith(unit):
            return float(quantity[: -len(unit)]) * factor / 2**20
    return float(quantity) / 2**20


def test_resources_requested_and_memory_limited(container):
    # The figures come from the server's measured memory (deploy/image.sh, test_image.py).
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert mebibytes(resources["limits"]["memory"]) > mebibytes(resources["requests"]["memory"])


def test_runs_as_non_root_on_a_read_only_root(pod, container):
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["securityContext"]["runAsUser"] == int(dockerfile_user().split(":")[0])


def test_tmp_is_writable(pod, container):
    # A read-only root: Python's and Streamlit's temporary files go to an emptyDir.
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert "emptyDir" in volume


def test_data_volume_mounted_at_data(manifests, pod, container):
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/data"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    claim = manifests["PersistentVolumeClaim"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    assert env.get("DIGITS_DATA_DIR", "/data") == "/data"


def test_store_quota_leaves_room_for_an_export(manifests, container):
    # A ZIP export is written beside the store while it is downloaded: both must fit the claim.
    env = {e["name"]: e.get("value") for e in container["env"]}
    quota = float(env["DIGITS_STORE_QUOTA_MB"])
    claim = mebibytes(manifests["PersistentVolumeClaim"]["spec"]["resources"]["requests"]["storage"])
    assert 0 < 2 * quota < claim


def test_service_reaches_the_pods_with_sticky_sessions(manifests, container):
    service = manifests["Service"]["spec"]
    labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert [port_number(container, p["targetPort"]) for p in service["ports"]] == [PORT]
    assert service["sessionAffinity"] == "ClientIP"
    if service.get("type") in ("LoadBalancer", "NodePort"):
        # Otherwise nodes hide the client's address behind their own, and affinity by client IP
        # pins nodes instead of browsers.
        assert service["externalTrafficPolicy"] == "Local"


# ---- Dockerfile ----


def dockerfile_instructions():
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def instructions(name):
    return [args for instruction, args in dockerfile_instructions() if instruction == name]


def dockerfile_user():
    return instructions("USER")[-1]


def dockerfile_args():
    """The Dockerfile's ARG defaults, by name."""
    return dict(arg.split("=", 1) for arg in instructions("ARG") if "=" in arg)


def test_dockerfile_base_is_python_slim_pinned_by_digest():
    assert [f.split()[0] for f in instructions("FROM")] == ["${BASE_IMAGE}"] * 2
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", dockerfile_args()["BASE_IMAGE"])


def test_dockerfile_final_user_is_not_root():
    user = dockerfile_user().split(":")[0]
    assert user not in ("root", "0")
    # The user is created in the image with that uid.
    assert any(f"--uid {user}" in run for run in instructions("RUN"))


def test_dockerfile_healthcheck_and_port():
    (healthcheck,) = instructions("HEALTHCHECK")
    assert f"localhost:{{port}}{HEALTH}" in healthcheck and f"'{PORT}'" in healthcheck
    assert "urllib" in healthcheck  # no curl in slim images
    assert instructions("EXPOSE") == [str(PORT)]


def test_dockerfile_starts_streamlit():
    (cmd,) = instructions("CMD")
    assert cmd.startswith('["streamlit", "run", "app/main.py"')
    assert f"--server.port={PORT}" in cmd and "--server.address=0.0.0.0" in cmd


def test_dockerfile_data_volume():
    assert instructions("VOLUME") == ["/data"]
    assert any("DIGITS_DATA_DIR=/data" in env for env in instructions("ENV"))
    assert any("chown app:app /data" in run for run in instructions("RUN"))


def test_dockerfile_installs_only_the_app_lock_with_hashes():
    installs = [run for run in instructions("RUN") if "pip install" in run]
    assert installs and all("-r /tmp/requirements-app.lock" in run for run in installs)
    assert all("--require-hashes" in run and "--only-binary=:all:" in run for run in installs)
    copied = {c.split()[-2] for c in instructions("COPY") if "--from" not in c}
    assert copied == {"requirements-app.lock", "app/", "models/*.onnx", ".streamlit/config.toml"}


# ---- lock files ----


def locked(lock):
    """{name: (version, number of hashes)} of a lock file written by `make lock`."""
    text = re.sub(r"\\\n", " ", (ROOT / lock).read_text())
    pins = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement, *hashes = line.split("--hash=")
            name, version = requirement.split(";")[0].strip().split("==")
            assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h.strip()) for h in hashes), line
            pins[name.lower().replace("_", "-")] = (version, len(hashes))
    return pins


def top_level_pins(*requirements):
    pins = {}
    for name in requirements:
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-r"):
                package, version = line.split("==")
                pins[package.lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("requirements-app.lock", ["requirements-app.txt"]),
        ("requirements-dev.lock", ["requirements-app.txt", "requirements-test.txt"]),
        ("requirements-train.lock", ["requirements-app.txt", "requirements-train.txt", "requirements-test.txt"]),
    ],
)
def test_lock_pins_every_package_with_hashes(lock, requirements):
    pins = locked(lock)
    assert all(hashes >= 1 for _, hashes in pins.values())
    # The lock agrees with the versions people read and change in the requirements files.
    for package, version in top_level_pins(*requirements).items():
        assert pins[package][0] == version, package


def test_app_lock_has_no_training_or_test_libraries():
    names = set(locked("requirements-app.lock"))
    assert not [n for n in names if n.startswith(TRAINING_ONLY + ("pytest", "playwright"))]


@pytest.mark.parametrize(
    ("target", "lock"),
    [("$(APP_VENV)/.installed", "requirements-dev.lock"), ("$(TRAIN_VENV)/.installed", "requirements-train.lock")],
)
def test_makefile_installs_from_the_lock_with_hashes(target, lock):
    makefile = (ROOT / "Makefile").read_text()
    rule = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
    assert lock in rule.splitlines()[0]  # rebuilt when the lock changes
    install = re.search(r"^PIP_INSTALL = (.*)$", makefile, re.M).group(1)
    assert "--require-hashes" in install and "--only-binary=:all:" in install
    assert f"$(PIP_INSTALL) -r {lock}" in rule


def test_dockerfile_fails_if_training_libraries_are_importable():
    checks = [run for run in instructions("RUN") if "find_spec" in run]
    assert len(checks) == 1
    for module in ("tensorflow", "keras", "cv2"):
        assert f"'{module}'" in checks[0]
    assert "sys.exit" in checks[0]


@pytest.mark.parametrize("requirement", TRAINING_ONLY)
def test_app_requirements_have_no_training_libraries(requirement):
    lines = (ROOT / "requirements-app.txt").read_text().lower().splitlines()
    names = [re.split(r"[=<>~!\[ ;]", line.strip())[0] for line in lines if line.strip()]
    assert not [n for n in names if n.startswith(requirement)]


# ---- .dockerignore ----


def dockerignore_rules():
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        rules.append((re.compile(regex + "$"), negate))
    return rules


def in_build_context(path):
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for regex, negate in dockerignore_rules():
        if any(regex.match(p) for p in prefixes):
            included = negate
    return included


@pytest.mark.parametrize(
    "path",
    [
        "requirements-app.lock",
        "app/main.py",
        "app/page.py",
        "app/predict.py",
        "models/digit_cnn.onnx",
        "models/digit_cnn.int8.onnx",
        ".streamlit/config.toml",
    ],
)
def test_dockerignore_lets_in_the_app(path):
    assert in_build_context(path)


@pytest.mark.parametrize(
    "path",
    [
        "models/digit_cnn.keras",
        "app/stray.keras",
        "models/report.json",
        "tests/app/test_preprocess.py",
        "tests/fixtures/mnist_test_500.npz",
        "train/train.py",
        "export/export.py",
        "bench/speed.py",
        "data/drawings/index.jsonl",
        "data/mnist/train-images-idx3-ubyte.gz",
        "app/__pycache__/main.cpython-311.pyc",
        ".venv/app/bin/python",
        ".git/HEAD",
        ".cache/podman/containers.conf",
        ".pytest_cache/README.md",
        ".streamlit/secrets.toml",
        "requirements-train.txt",
        "requirements-train.lock",
    ],
)
def test_dockerignore_keeps_out(path):
    assert not in_build_context(path)
