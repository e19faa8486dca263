"""A local stack of the test's own with a 3-broker Kafka cluster
(`superstore up --brokers 3`), in a directory of its own and on ports of
its own, so that it never disturbs the stack the other tests use.

Ports: SUPERSTORE_CLUSTER_TEST_PORT (default 27300) is the first broker's;
the brokers listen on it + 0, 2, 4, their controllers on it + 1, 3, 5,
PostgreSQL on it + 10 and the registry on it + 11. The default lies below
Linux's ephemeral range (32768-60999): the cluster starts after the other
tests have opened thousands of connections, and a node whose port an
outgoing connection happens to hold cannot listen on it."""

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from confluent_kafka.admin import AdminClient

from support.superstore import ROOT, exported_environment, superstore_binary

BROKERS = 3
ACTIVE_CONTROLLER_JAVA = Path(__file__).resolve().parent / "kafka_tools" / "ActiveController.java"


class LocalCluster:
    def __init__(self):
        base = int(os.environ.get("SUPERSTORE_CLUSTER_TEST_PORT", "27300"))
        self.home = Path(tempfile.mkdtemp(prefix="superstore-cluster-"))
        # The service user the brokers run as (when root) must reach it.
        self.home.chmod(0o755)
        self.env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SCHEMA_REGISTRY_URL")
        }
        self.env.update(
            SUPERSTORE_HOME=str(self.home),
            SUPERSTORE_KAFKA_PORT=str(base),
            SUPERSTORE_KAFKA_CONTROLLER_PORT=str(base + 1),
            SUPERSTORE_POSTGRES_PORT=str(base + 10),
            SUPERSTORE_REGISTRY_PORT=str(base + 11),
            SUPERSTORE_METRICS_ADDR="127.0.0.1:0",
            SUPERSTORE_GENERATE_METRICS_ADDR="127.0.0.1:0",
        )
        self.ports = [base + 2 * i for i in range(BROKERS)]
        self.endpoints: dict = {}

    def superstore(self, *args: str, timeout: int = 300, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(superstore_binary()), *args],
            cwd=ROOT,
            env={**self.env, **self.endpoints},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check:
            assert done.returncode == 0, f"superstore {' '.join(args)}: {done.returncode}\n{done.stderr[-3000:]}"
        return done

    def spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(superstore_binary()), *args],
            cwd=ROOT,
            env={**self.env, **self.endpoints},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def up(self) -> None:
        started = self.superstore("up", "--brokers", str(BROKERS), check=False)
        assert started.returncode == 0, (
            f"superstore up --brokers {BROKERS}: {started.returncode}\n{started.stderr[-3000:]}\n"
            + self.node_logs()
        )
        self.endpoints.update(exported_environment(self.superstore("env").stdout))

    def node_logs(self, lines: int = 15) -> str:
        """The last lines of every node's log: down deletes them with the home."""
        tails = []
        for log in sorted((self.home / "kafka-cluster").glob("node-*/kafka.log")):
            tail = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.parent.name}\n" + "\n".join(tail))
        return "\n".join(tails)

    def down(self) -> None:
        self.endpoints = {}
        self.superstore("down", check=False, timeout=300)
        shutil.rmtree(self.home, ignore_errors=True)

    def admin(self) -> AdminClient:
        # Quiet: the test's own client would otherwise report each dead broker too.
        return AdminClient({"bootstrap.servers": self.endpoints["KAFKA_BOOTSTRAP_SERVERS"], "log_level": 2})

    def node_pid(self, node: int) -> int:
        recorded = (self.home / "kafka-cluster" / f"node-{node}" / "kafka.pid").read_text()
        return int(recorded.split()[0])

    def kill(self, node: int) -> None:
        """kill -9 of one node's JVM, as a crash would."""
        os.kill(self.node_pid(node), signal.SIGKILL)

    def active_controller(self) -> int:
        """The node id of the KRaft quorum's leader (Kafka's Java admin client alone can tell)."""
        java = Path(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
        done = subprocess.run(
            [
                str(java),
                "-cp",
                str(self.home / "kafka" / "libs" / "*"),
                str(ACTIVE_CONTROLLER_JAVA),
                self.endpoints["KAFKA_BOOTSTRAP_SERVERS"],
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return int(done.stdout.strip())

    def leaders(self, topic: str) -> dict[int, int]:
        """Partition -> the node leading it."""
        metadata = self.admin().list_topics(topic, timeout=10)
        return {p: meta.leader for p, meta in metadata.topics[topic].partitions.items()}

    def fully_replicated(self, topic: str) -> bool:
        metadata = self.admin().list_topics(topic, timeout=10)
        partitions = metadata.topics[topic].partitions.values()
        return all(len(p.isrs) == BROKERS for p in partitions)
