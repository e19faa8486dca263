"""The local stack's own safety: secrets readable by their owner only from
the moment they exist, services that do not run as root, a `down` that
signals only the stack's own processes, a recorded path that is checked
before it is handed to a service user, and `up` calls that cannot race."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support.superstore import ROOT, run_superstore, superstore_binary

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")) and not os.environ.get("SUPERSTORE_TEST_LOCAL_STACK"),
    reason="the services come from the environment; the local stack is not under test",
)

HOME = Path(os.environ.get("SUPERSTORE_HOME", ROOT / ".superstore")).resolve()
KAFKA_CONFIG = str(HOME / "kafka" / "server.properties")
REGISTRY_BIND = f"127.0.0.1:{os.environ.get('SUPERSTORE_REGISTRY_PORT', '18081')}"


def processes_with(*args: str) -> list[int]:
    """Pids of the processes whose command line holds every one of `args`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in cmdline]
        if all(a in words for a in args):
            found.append(int(entry.name))
    return found


def uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for {pid}")


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_secrets_are_private_and_the_initdb_copy_is_gone(endpoints):
    run_superstore("up")
    password = HOME / "postgres.password"
    assert stat.S_IMODE(password.stat().st_mode) == 0o600
    cluster = Path((HOME / "postgres.location").read_text().strip())
    assert not (cluster / "initdb.pw").exists(), "the password copy initdb read is deleted"


@pytest.mark.skipif(os.geteuid() != 0, reason="the services run as the invoking user when it is not root")
def test_kafka_and_the_registry_do_not_run_as_root(endpoints):
    reachable = subprocess.run(["runuser", "-u", "superstore", "--", "test", "-x", str(HOME / "kafka")])
    if reachable.returncode != 0:
        pytest.skip("the service user cannot reach this checkout; the book (the local stack) says why they run as root")
    run_superstore("up")
    (kafka,) = processes_with("kafka.Kafka", KAFKA_CONFIG)
    (registry,) = processes_with("registry", "--bind", REGISTRY_BIND)
    assert uid_of(kafka) != 0 and uid_of(registry) != 0
    assert uid_of(kafka) == uid_of(registry), "both run as the service user"


def test_down_signals_only_the_stacks_own_processes(endpoints):
    run_superstore("down")
    # Decoys: one whose command line merely mentions the broker's class, one that
    # holds every argument of this stack's broker but started at another time.
    mention = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "kafka.Kafka"])
    lookalike = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "kafka.Kafka", KAFKA_CONFIG])
    pid_file = HOME / "kafka" / "kafka.pid"
    try:
        for decoy, recorded in ((mention, f"{mention.pid}\n"), (lookalike, f"{lookalike.pid} 1\n")):
            pid_file.write_text(recorded)
            run_superstore("down")
            time.sleep(0.5)
            assert alive(decoy.pid) and decoy.poll() is None, f"down signalled an unrelated process ({recorded!r})"
        run_superstore("up")
        assert len(processes_with("kafka.Kafka", KAFKA_CONFIG)) == 2, "the real broker started beside the decoy"
        assert alive(lookalike.pid)
    finally:
        for decoy in (mention, lookalike):
            decoy.kill()
            decoy.wait()


def test_two_concurrent_ups_start_one_of_each_service(endpoints):
    run_superstore("down")
    ups = [
        subprocess.Popen([str(superstore_binary()), "up"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(up.wait(timeout=300), up.stderr.read()) for up in ups]
    for code, err in results:
        assert code == 0, err[-3000:]
    assert len(processes_with("kafka.Kafka", KAFKA_CONFIG)) == 1, "one broker"
    assert len(processes_with("registry", "--bind", REGISTRY_BIND)) == 1, "one registry"
    assert any("waiting for another `superstore up`" in err for _, err in results), "the second waited"
    assert run_superstore("status", check=False).returncode == 0


def test_a_recorded_cluster_path_outside_the_stack_is_refused_before_anything_is_made(tmp_path):
    home = tmp_path / "stack"
    home.mkdir()
    target = Path(tempfile.mkdtemp(prefix="not-the-stack-"))
    try:
        (home / "postgres.location").write_text(str(target))
        env = {**os.environ, "SUPERSTORE_HOME": str(home)}
        for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL"):
            env.pop(name, None)
        result = subprocess.run([str(superstore_binary()), "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 3, result.stderr
        assert f"refusing to hand {target}" in result.stderr
        assert list(target.iterdir()) == [], "nothing was created there"
        assert not (home / "postgres.password").exists()
    finally:
        shutil.rmtree(target)
