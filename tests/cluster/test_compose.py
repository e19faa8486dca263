"""The Docker stack (docker-compose.yml, Dockerfile, deploy/), checked without
a Docker engine.

The compose file is loaded by tools/compose-check, which uses compose-go, the
loader of Docker Compose v2 itself: interpolation, the Compose Specification
schema, durations and ports, and references between services and volumes are
checked as `docker compose` would check them, and the Dockerfile is parsed by
BuildKit's parser, with each build target among its stages. The tests read the
normalized project it prints for what the stack relies on: the start order,
healthchecks, loopback-only ports, pinned images and secrets that only come
from the environment. No image is built and no container is started here.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CHECKER_SOURCE = ROOT / "tools" / "compose-check"

# Stand-ins for the secrets a user puts in .env; they never appear in the files.
SECRETS = {"POSTGRES_PASSWORD": "test-postgres-secret-3f9a", "GRAFANA_ADMIN_PASSWORD": "test-grafana-secret-7c1d",
           "SUPERSET_SECRET_KEY": "test-superset-key-5b2e", "SUPERSET_ADMIN_PASSWORD": "test-superset-admin-9d4c",
           "SUPERSET_READER_PASSWORD": "test-superset-reader-1a7f"}

SERVICES = {"kafka", "postgres", "migrate", "registry", "pipeline", "generator", "airflow", "prometheus", "grafana",
            "superset-init", "superset"}
ONE_SHOT = {"migrate", "generator", "superset-init"}
# Long-running services with nothing to probe yet, and why; remove an entry when its healthcheck lands.
HEALTHCHECK_PENDING: dict[str, str] = {}
HEALTHY, COMPLETED = "service_healthy", "service_completed_successfully"
START_ORDER = {
    "kafka": {},
    "postgres": {},
    "migrate": {"postgres": HEALTHY},
    "registry": {"postgres": HEALTHY, "migrate": COMPLETED},
    "pipeline": {"kafka": HEALTHY, "registry": HEALTHY, "migrate": COMPLETED},
    "generator": {"kafka": HEALTHY, "registry": HEALTHY, "migrate": COMPLETED},
    "airflow": {"postgres": HEALTHY, "migrate": COMPLETED},
    "prometheus": {},
    "grafana": {"prometheus": HEALTHY},
    "superset-init": {"postgres": HEALTHY, "migrate": COMPLETED},
    "superset": {"superset-init": COMPLETED},
}
PUBLISHED = {"kafka": 9092, "postgres": 5432, "registry": 8081, "airflow": 8080, "prometheus": 9090, "grafana": 3000,
             "superset": 8088}
DEBIAN_RELEASES = {"bookworm", "trixie"}


@pytest.fixture(scope="session")
def compose_check(tmp_path_factory) -> Path:
    """The validator: $COMPOSE_CHECK if set, else built from tools/compose-check with Go."""
    if os.environ.get("COMPOSE_CHECK"):
        return Path(os.environ["COMPOSE_CHECK"])
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed: the compose validator tools/compose-check is built with Go 1.24 or newer")
    binary = tmp_path_factory.mktemp("compose-check") / "compose-check"
    built = subprocess.run(
        [go, "build", "-trimpath", "-buildvcs=false", "-o", str(binary), "."],
        cwd=CHECKER_SOURCE, capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, f"building tools/compose-check failed:\n{built.stderr}"
    return binary


def load(compose_check: Path, compose_file: Path, environment: dict) -> subprocess.CompletedProcess:
    """compose-check on a file, with exactly the given environment (no .env file is read)."""
    return subprocess.run(
        [str(compose_check), str(compose_file)], env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="session")
def project(compose_check) -> dict:
    loaded = load(compose_check, COMPOSE_FILE, SECRETS)
    assert loaded.returncode == 0, f"docker-compose.yml does not load:\n{loaded.stderr}"
    return json.loads(loaded.stdout)


@pytest.fixture(scope="session")
def services(project) -> dict:
    return project["services"]


def dockerfile_stages() -> dict:
    """Stage name -> (base image with the global ARG defaults substituted, instructions of the stage)."""
    lines = DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
    arguments, stages, current = {}, {}, None
    for line in (l.strip() for l in lines):
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "ARG" and current is None and "=" in rest:
            name, _, value = rest.partition("=")
            arguments[name] = value.strip('"')
        elif keyword.upper() == "FROM":
            image, _, name = re.sub(r"\$\{(\w+)\}", lambda m: arguments[m[1]], rest).partition(" AS ")
            current = name.strip()
            stages[current] = (image.strip(), [])
        elif current is not None:
            stages[current][1].append(line)
    return stages


def built_from(service: dict, stage: str) -> bool:
    return (service.get("build") or {}).get("target") == stage


def test_the_file_loads_with_every_service(project, services):
    assert project["name"] == "superstore"
    assert set(services) == SERVICES


def test_one_shot_services_run_once_and_the_demo_generator_only_on_request(services):
    for name in ONE_SHOT:
        assert services[name]["restart"] == "no", name
    assert services["generator"]["profiles"] == ["demo"]
    assert all(not services[name].get("profiles") for name in SERVICES - {"generator"})


def test_every_long_running_service_restarts_and_has_a_healthcheck(services):
    for name in SERVICES - ONE_SHOT:
        service = services[name]
        assert service["restart"] == "unless-stopped", name
        healthcheck = service.get("healthcheck")
        if name in HEALTHCHECK_PENDING:
            assert healthcheck is None, f"{name} has a healthcheck now: remove it from HEALTHCHECK_PENDING"
            continue
        assert healthcheck and not healthcheck.get("disable"), f"{name} has no healthcheck"
        assert healthcheck["test"][0] == "CMD" and len(healthcheck["test"]) > 1, name
        assert healthcheck["interval"] and healthcheck["timeout"] and healthcheck["retries"] > 0, name


def test_healthcheck_tools_are_installed_in_the_superstore_image(services):
    _, instructions = dockerfile_stages()["superstore"]
    installed = " ".join(i for i in instructions if "apt-get install" in i).split()
    for name, service in services.items():
        if built_from(service, "superstore") and service.get("healthcheck"):
            assert service["healthcheck"]["test"][1] in installed, name


def test_start_order_follows_health_and_completion(services):
    for name, expected in START_ORDER.items():
        depends_on = services[name].get("depends_on") or {}
        assert {dep: spec["condition"] for dep, spec in depends_on.items()} == expected, name
        assert all(spec.get("required", True) for spec in depends_on.values()), name
        for dependency, condition in expected.items():
            if condition == HEALTHY:
                assert services[dependency].get("healthcheck"), f"{name} waits for {dependency}'s health"
            else:
                assert dependency in ONE_SHOT, f"{name} waits for {dependency} to exit"


def test_every_published_port_binds_loopback(services):
    published = {}
    for name, service in services.items():
        for port in service.get("ports") or []:
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port} beyond loopback"
            published[name] = int(port["published"])
            assert port["target"] == published[name], name
    assert published == PUBLISHED


def test_images_are_pinned_to_versions(services):
    for name, service in services.items():
        repository, _, tag = service["image"].rpartition(":")
        assert repository and "/" not in tag, f"{name}: {service['image']} has no tag"
        assert tag != "latest", name
        if not service.get("build"):
            assert re.search(r"\d", tag), f"{name}: {service['image']} is not a version"
    stages = dockerfile_stages()
    for stage, (image, _) in stages.items():
        if image in stages:
            continue
        tag = image.rpartition(":")[2]
        # A version, or a Debian release (the builder's and the runtime's must match, for glibc).
        pinned = ":" in image and (re.search(r"\d", tag) or tag.split("-")[0] in DEBIAN_RELEASES)
        assert pinned, f"stage {stage}: FROM {image}"


def test_secrets_come_only_from_the_environment(services):
    text = COMPOSE_FILE.read_text()
    for value in SECRETS.values():
        assert value not in text
    for name, required in ((n, f"${{{n}:?") for n in SECRETS):
        assert required in text, f"{name} must be required, with no default"
    assert not re.search(r"\$\{\w*(PASSWORD|SECRET|TOKEN)\w*:?-", text), "a secret has a default"
    for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", text):
        assert password.startswith("${POSTGRES_PASSWORD:?"), password
    for name, service in services.items():
        for variable, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|TOKEN", variable):
                assert value in SECRETS.values(), f"{name}: {variable} is a literal"
            if str(value).startswith("postgres://"):
                assert urlsplit(value).password == SECRETS["POSTGRES_PASSWORD"], f"{name}: {variable}"


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_the_file_refuses_to_load_without_a_secret(compose_check, missing):
    environment = {name: value for name, value in SECRETS.items() if name != missing}
    loaded = load(compose_check, COMPOSE_FILE, environment)
    assert loaded.returncode != 0
    assert missing in loaded.stderr


def test_superstore_services_get_all_three_endpoints_pointing_at_the_stack(services):
    superstore = {name for name, service in services.items() if built_from(service, "superstore")}
    assert superstore == {"migrate", "registry", "pipeline", "generator"}
    registry_bind = services["registry"]["command"][services["registry"]["command"].index("--bind") + 1]
    for name in superstore:
        environment = services[name]["environment"]
        kafka = environment["KAFKA_BOOTSTRAP_SERVERS"]
        database = urlsplit(environment["DATABASE_URL"])
        registry = urlsplit(environment["SCHEMA_REGISTRY_URL"])
        assert kafka == kafka_listeners(services)["advertised"]["INTERNAL"], name
        assert (database.hostname, database.port, database.path) == ("postgres", 5432, "/superstore"), name
        assert database.username == services["postgres"]["environment"]["POSTGRES_USER"], name
        assert (registry.hostname, registry.port) == ("registry", int(registry_bind.rpartition(":")[2])), name
    assert registry_bind.startswith("0.0.0.0:"), "the registry must listen beyond the container's loopback"
    assert services["pipeline"]["command"][0] == "run"
    assert services["migrate"]["command"] == ["migrate"]
    generate = services["generator"]["command"]
    assert generate[0] == "generate"
    assert generate[generate.index("--duplicate-ratio") + 1] == "0.05"
    assert generate[generate.index("--invalid-ratio") + 1] == "0.02"


def kafka_listeners(services) -> dict:
    environment = services["kafka"]["environment"]

    def by_name(variable):
        return dict(entry.split("://") for entry in environment[variable].split(","))

    return {"bound": by_name("KAFKA_LISTENERS"), "advertised": by_name("KAFKA_ADVERTISED_LISTENERS")}


def test_kafka_advertises_an_internal_and_a_loopback_listener(services):
    environment = services["kafka"]["environment"]
    listeners = kafka_listeners(services)
    protocols = dict(entry.split(":") for entry in environment["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners["bound"]) == set(protocols)
    assert environment["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    assert listeners["advertised"]["HOST"] == f"127.0.0.1:{PUBLISHED['kafka']}"
    assert listeners["bound"]["HOST"] == f":{services['kafka']['ports'][0]['target']}"
    controller_port = listeners["bound"][environment["KAFKA_CONTROLLER_LISTENER_NAMES"]].lstrip(":")
    assert environment["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{environment['KAFKA_NODE_ID']}@kafka:{controller_port}"
    # The healthcheck probes the listener the other containers use.
    assert listeners["advertised"]["INTERNAL"] in services["kafka"]["healthcheck"]["test"]


def test_data_lives_in_named_volumes(project, services):
    def volume_at(service, target):
        mounts = [m for m in services[service]["volumes"] if m["target"] == target]
        assert mounts and mounts[0]["type"] == "volume", (service, target)
        assert mounts[0]["source"] in project["volumes"], (service, target)

    volume_at("kafka", services["kafka"]["environment"]["KAFKA_LOG_DIRS"])
    volume_at("postgres", "/var/lib/postgresql/data")
    volume_at("airflow", "/opt/airflow")
    volume_at("prometheus", "/prometheus")
    volume_at("grafana", "/var/lib/grafana")
    volume_at("superset-init", "/var/lib/superset")
    volume_at("superset", "/var/lib/superset")


def test_airflow_runs_the_dag_with_dbt_from_the_mounted_project(services):
    airflow = services["airflow"]
    environment = airflow["environment"]
    project_dir = environment["SUPERSTORE_PROJECT_DIR"]
    binds = {m["target"]: m for m in airflow["volumes"] if m["type"] == "bind"}
    for source, target in (("airflow/dags", "/opt/airflow/dags"), ("dbt", f"{project_dir}/dbt"),
                           ("scripts", f"{project_dir}/scripts")):
        assert Path(binds[target]["source"]) == ROOT / source, target
        assert (ROOT / source).is_dir(), source
    assert os.access(ROOT / "scripts" / "dbt.sh", os.X_OK)
    assert (ROOT / "airflow" / "dags" / "superstore_warehouse.py").is_file()
    # dbt writes its artifacts outside the read-only mounts.
    for variable in ("DBT_TARGET_PATH", "DBT_LOG_PATH"):
        writable = [m for m in airflow["volumes"] if environment[variable].startswith(m["target"] + "/")]
        assert writable and not any(m.get("read_only") for m in writable), variable
    assert urlsplit(environment["DATABASE_URL"]).hostname == "postgres"
    assert environment["DO_NOT_TRACK"] == "1" and environment["SCARF_NO_ANALYTICS"] == "true"
    assert environment["AIRFLOW__USAGE_DATA_COLLECTION__ENABLED"] == "False"
    assert environment["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    # scripts/dbt.sh runs <project>/.venv/bin/{python,dbt}: the image provides both.
    dbt_script = (ROOT / "scripts" / "dbt.sh").read_text()
    _, airflow_stage = dockerfile_stages()["airflow"]
    for tool in ("python", "dbt"):
        assert f'"$root/.venv/bin/{tool}"' in dbt_script
        assert any(f"{project_dir}/.venv/bin/{tool}" in i and "ln -s" in i for i in airflow_stage), tool


def test_the_airflow_image_matches_the_python_requirements(services):
    requirements = (ROOT / "requirements.txt").read_text()
    pins = dict(re.findall(r"^(apache-airflow|dbt-core|dbt-postgres)(\S+)", requirements, re.MULTILINE))
    arguments = dict(re.findall(r"^ARG (\w+)=\"?([^\"\n]+)", DOCKERFILE.read_text(), re.MULTILINE))
    assert pins["apache-airflow"] == f"=={arguments['AIRFLOW_VERSION']}"
    assert pins["dbt-core"] == arguments["DBT_CORE_SPEC"]
    assert pins["dbt-postgres"] == arguments["DBT_POSTGRES_SPEC"]
    base, _ = dockerfile_stages()["airflow"]
    assert base == f"apache/airflow:{arguments['AIRFLOW_VERSION']}"
    assert built_from(services["airflow"], "airflow")


def test_the_superstore_image_runs_the_binary_as_a_non_root_user(services):
    stages = dockerfile_stages()
    for service in services.values():
        if service.get("build"):
            assert service["build"]["target"] in stages
            assert Path(service["build"]["context"]) == ROOT
    _, runtime = stages["superstore"]
    users = [i.split()[1] for i in runtime if i.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert 'ENTRYPOINT ["superstore"]' in runtime
    _, build = stages["build"]
    assert any("cargo build --release --locked" in i for i in build)
    assert any("/out/superstore" in i for i in runtime), "the runtime stage copies the built binary"


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_secret():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "the context is a whitelist"
    included = {p.lstrip("!").rstrip("/") for p in patterns[1:] if p.startswith("!")}
    copied = set()
    for _, instructions in dockerfile_stages().values():
        for instruction in instructions:
            words = instruction.split()
            if words[0] == "COPY" and not any(w.startswith("--from") for w in words):
                copied.update(w.rstrip("/") for w in words[1:-1] if not w.startswith("--"))
    assert copied == included
    assert not included & {".env", ".superstore", ".venv", "target", ".git"}


def test_superset_is_provisioned_by_a_one_shot_job_from_the_bundle(services):
    init, server = services["superset-init"], services["superset"]
    for service in (init, server):
        assert built_from(service, "superset")
        binds = {m["target"]: Path(m["source"]) for m in service["volumes"] if m["type"] == "bind"}
        assert binds == {"/opt/superstore/bi/superset": ROOT / "bi" / "superset"}
        assert all(m.get("read_only") for m in service["volumes"] if m["type"] == "bind")
    _, stage = dockerfile_stages()["superset"]
    config = next(i for i in stage if "SUPERSET_CONFIG_PATH=" in i).split("SUPERSET_CONFIG_PATH=")[1].split()[0]
    assert config == "/opt/superstore/bi/superset/superset_config.py"
    assert (ROOT / "bi" / "superset" / "superset_config.py").is_file()
    assert any("bi/superset/requirements.lock" in i for i in stage if i.startswith("COPY"))
    script = init["command"][-1]
    assert script.index("superset db upgrade") < script.index("superset init") < script.index("provision.py")
    assert (ROOT / "bi" / "superset" / "provision.py").is_file()
    assert urlsplit(init["environment"]["DATABASE_URL"]).hostname == "postgres"
    assert "/health" in " ".join(server["healthcheck"]["test"])


def provisioned(folder: Path, key: str) -> list:
    """The entries under `key` of every Grafana provisioning file in a folder."""
    return [entry for path in sorted(folder.glob("*.yml")) for entry in yaml.safe_load(path.read_text())[key]]


def flag(command: list, name: str) -> str:
    return command[command.index(name) + 1]


def test_prometheus_scrapes_what_the_services_serve_with_the_alert_rules(services):
    prometheus = services["prometheus"]
    config_path = next(a.split("=", 1)[1] for a in prometheus["command"] if a.startswith("--config.file="))
    binds = {m["target"]: Path(m["source"]) for m in prometheus["volumes"] if m["type"] == "bind"}
    assert binds[config_path] == ROOT / "deploy" / "prometheus" / "prometheus.yml"
    config = yaml.safe_load(binds[config_path].read_text())
    # Rule files are relative to the configuration, in the container as in the repository.
    for rule_file in config["rule_files"]:
        in_container = str(Path(config_path).parent / rule_file)
        assert binds[in_container] == binds[config_path].parent / rule_file
        assert binds[in_container].is_file()
    targets = {job["job_name"]: [t for g in job["static_configs"] for t in g["targets"]]
               for job in config["scrape_configs"]}
    # Each service listens beyond its container's loopback, on the port Prometheus scrapes.
    pipeline_addr = flag(services["pipeline"]["command"], "--metrics-addr")
    generator_addr = flag(services["generator"]["command"], "--metrics-addr")
    registry_addr = flag(services["registry"]["command"], "--bind")
    for job, service, address in (("superstore-pipeline", "pipeline", pipeline_addr),
                                  ("superstore-generator", "generator", generator_addr),
                                  ("superstore-registry", "registry", registry_addr)):
        host, _, port = address.rpartition(":")
        assert host == "0.0.0.0", f"{service} must listen beyond its container's loopback"
        assert targets[job] == [f"{service}:{port}"], job
    assert "pipeline" not in PUBLISHED, "the pipeline's metrics stay inside the compose network"


def test_the_pipeline_healthcheck_is_its_readiness_probe(services):
    port = flag(services["pipeline"]["command"], "--metrics-addr").rpartition(":")[2]
    test = services["pipeline"]["healthcheck"]["test"]
    assert test[-1] == f"http://127.0.0.1:{port}/health/ready"
    assert "--fail" in test, "a 503 (not ready) must fail the check"


def test_grafana_provisions_the_dashboard_on_the_stack_prometheus(services):
    grafana_mounts = {Path(m["source"]): m["target"] for m in services["grafana"]["volumes"] if m["type"] == "bind"}
    provisioning = ROOT / "deploy" / "grafana" / "provisioning"
    assert grafana_mounts[provisioning] == "/etc/grafana/provisioning"
    datasources = provisioned(provisioning / "datasources", "datasources")
    assert [urlsplit(d["url"])[1] for d in datasources] == [f"prometheus:{PUBLISHED['prometheus']}"]
    providers = provisioned(provisioning / "dashboards", "providers")
    assert [p["options"]["path"] for p in providers] == [grafana_mounts[ROOT / "deploy" / "grafana" / "dashboards"]]

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "superstore.json").read_text())
    assert "placeholder" not in json.dumps(dashboard).lower()
    panels = [p for p in dashboard["panels"] if p.get("targets")]
    assert {p["datasource"]["uid"] for p in panels} == {d["uid"] for d in datasources}
    assert {t["datasource"]["uid"] for p in panels for t in p["targets"]} == {d["uid"] for d in datasources}


BREAKAGES = {
    "depends_on names a missing service": (COMPOSE_FILE, "      prometheus:\n        condition: service_healthy",
                                           "      prometheus-typo:\n        condition: service_healthy",
                                           "prometheus-typo"),
    "an unknown service key": (COMPOSE_FILE, "    stop_grace_period: 30s", "    stop_grace_periode: 30s",
                               "stop_grace_periode"),
    "a condition that does not exist": (COMPOSE_FILE, "        condition: service_completed_successfully\n\n  pipeline:",
                                        "        condition: service_completed\n\n  pipeline:", "condition"),
    "a duration that is not one": (COMPOSE_FILE, "      start_period: 120s", "      start_period: two minutes",
                                   "start_period"),
    "an undeclared named volume": (COMPOSE_FILE, "      - kafka-data:/var/lib/kafka/data",
                                   "      - kafka-dat:/var/lib/kafka/data", "kafka-dat"),
    "a build target that is no stage": (COMPOSE_FILE, "      target: airflow\n", "      target: airflw\n", "airflw"),
    "a Dockerfile instruction that does not exist": (DOCKERFILE, "WORKDIR /src", "WORKDIRR /src", "WORKDIRR"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_copy_fails_validation(compose_check, tmp_path, breakage):
    path, original, broken, named_in_error = BREAKAGES[breakage]
    text = path.read_text()
    assert text.count(original) == 1, f"the text to break is no longer in {path.name}: {original!r}"
    for copy in ("intact", "damaged"):
        (tmp_path / copy).mkdir()
        for source in (COMPOSE_FILE, DOCKERFILE):
            content = text.replace(original, broken) if copy == "damaged" and source == path else source.read_text()
            (tmp_path / copy / source.name).write_text(content)
    intact = load(compose_check, tmp_path / "intact" / COMPOSE_FILE.name, SECRETS)
    assert intact.returncode == 0, f"the copy must load before it is broken:\n{intact.stderr}"
    damaged = load(compose_check, tmp_path / "damaged" / COMPOSE_FILE.name, SECRETS)
    assert damaged.returncode != 0, f"{breakage} was accepted"
    assert named_in_error in damaged.stderr
