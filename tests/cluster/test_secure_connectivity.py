"""Production connectivity on a secure stack of the tests' own (`superstore
up --secure`, see support/secure_stack.py), with real TLS and real SASL: the
pipeline end to end over SASL_SSL, the registry over HTTPS with basic auth,
PostgreSQL with verify-full, confluent-kafka on the same secured topic with
the exported settings; SSL and mutual TLS; every refusal a user can meet,
each ending with exit 2 and one line naming the setting to fix; and no
secret in any output, log or endpoint."""

import datetime
import socket
import ssl
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from support.superstore import ROOT, superstore_binary
from support.faults import SCHEMA_V1, Isolated, assert_conservation, sale
from support.observing import free_address, get, ready, wait_for
from support.secure_stack import SecureStack

GENERATED, DUPLICATES, INVALID = 1000, 50, 20
CONFLUENT_SALES = 10
IMPORT_CSV = """Row ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,\
Country,City,State,Postal Code,Region,Product ID,Category,Sub-Category,Product Name,Sales,Quantity,\
Discount,Profit
1,CA-2016-152156,11/8/2016,11/11/2016,Second Class,CG-12520,Claire Gute,Consumer,United States,\
Henderson,Kentucky,42420,South,FUR-BO-10001798,Furniture,Bookcases,Bush Somerset Collection \
Bookcase,261.96,2,0,41.9136
2,CA-2016-152156,11/8/2016,11/11/2016,Second Class,CG-12520,Claire Gute,Consumer,United States,\
Henderson,Kentucky,42420,South,FUR-CH-10000454,Furniture,Chairs,"Hon Deluxe Fabric Upholstered \
Stacking Chairs, Rounded Back",731.94,3,0,219.582
"""
IMPORTED = 2


@pytest.fixture(scope="module")
def secure():
    stack = SecureStack()
    try:
        stack.up()
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="module")
def warehouse(secure):
    """A migrated database of this module on the secure cluster, and a topic of its own."""
    name = f"secure_{uuid.uuid4().hex[:10]}"
    url = secure.create_database(name)
    endpoints = {**secure.exported, "DATABASE_URL": url}
    isolated = Isolated(endpoints, name)
    isolated.env = {**secure.env, **endpoints}
    migrated = secure.superstore("migrate", env={"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    return isolated, f"secure.sales.{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def foreign_ca(tmp_path_factory) -> Path:
    """A CA certificate that signed none of the stack's."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a CA of someone else")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("foreign") / "ca.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def other_name_for_loopback() -> str:
    """A name that reaches 127.0.0.1 but is not in the stack's certificate (which holds
    127.0.0.1 and localhost): this machine's host name when it resolves there, else the
    IPv4-mapped IPv6 form of 127.0.0.1."""
    name = socket.gethostname()
    try:
        if name not in ("localhost", "127.0.0.1") and socket.gethostbyname(name) == "127.0.0.1":
            return name
    except OSError:
        pass
    return "[::ffff:127.0.0.1]"


def test_up_secure_keeps_keys_private_and_exports_verified_tls(secure):
    for secret in ["tls/server.key", "tls/client.key", "secure/kafka.password", "secure/registry.password"]:
        assert (secure.home / secret).stat().st_mode & 0o777 == 0o600, secret
    assert not list(secure.tls.glob("ca*.key")), "the CA's key is never written"
    e = secure.exported
    assert e["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and e["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert e["SCHEMA_REGISTRY_URL"].startswith("https://")
    assert e["DATABASE_URL"].endswith(f"?sslmode=verify-full&sslrootcert={secure.tls / 'ca.pem'}")
    # PostgreSQL takes TLS only: a plaintext connection finds no pg_hba entry.
    plaintext = e["DATABASE_URL"].replace("sslmode=verify-full", "sslmode=disable")
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(plaintext).close()
    with psycopg.connect(e["DATABASE_URL"]) as conn:
        assert conn.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()").fetchone()[0]


def test_the_pipeline_end_to_end_over_sasl_ssl_with_exact_counts(secure, warehouse, tmp_path):
    isolated, topic = warehouse
    env = {"DATABASE_URL": isolated.url}
    # confluent-kafka, a client nobody here wrote, with the exported settings alone (first:
    # it writes schema v1, which generate's newest version may follow).
    registry = SchemaRegistryClient(secure.registry_config())
    serializer = AvroSerializer(registry, SCHEMA_V1, conf={"auto.register.schemas": True})
    producer = Producer(secure.kafka_config(**{"enable.idempotence": True}))
    for n in range(CONFLUENT_SALES):
        event = sale(n)
        value = serializer(event, SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=event["order_id"], value=value)
    assert producer.flush(30) == 0
    generated = secure.superstore(
        "generate", "--count", str(GENERATED), "--seed", "23", "--topic", topic,
        "--duplicate-ratio", str(DUPLICATES / GENERATED), "--invalid-ratio", str(INVALID / GENERATED), env=env,
    )
    assert generated.returncode == 0, generated.stderr
    csv = tmp_path / "orders.csv"
    csv.write_text(IMPORT_CSV)
    imported = secure.superstore("import", str(csv), "--topic", topic, env=env)
    assert imported.returncode == 0, imported.stderr
    ran = secure.superstore("run", "--until-idle", "--topic", topic, "--metrics-addr", "off", env=env)
    assert ran.returncode == 0, ran.stderr
    consumed = GENERATED + IMPORTED + CONFLUENT_SALES
    n_in, inserted, rejected, duplicates = assert_conservation(isolated, topic, consumed)
    assert (inserted, rejected, duplicates) == (consumed - DUPLICATES - INVALID, INVALID, DUPLICATES)

    # confluent-kafka reads back, from the same secured topic, what everyone wrote.
    consumer = Consumer(secure.kafka_config(**{"group.id": f"reader-{uuid.uuid4().hex[:8]}",
                                               "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    deserializer = AvroDeserializer(registry)
    read = []
    deadline = time.monotonic() + 60
    while len(read) < consumed and time.monotonic() < deadline:
        message = consumer.poll(1)
        if message is not None and not message.error():
            read.append(deserializer(message.value(), SerializationContext(topic, MessageField.VALUE)))
    consumer.close()
    assert len(read) == consumed
    assert all(event["event_id"] for event in read)


def test_schemas_commands_over_https_with_basic_auth(secure, warehouse):
    _, topic = warehouse
    subject = ["--topic", f"{topic}.schemas"]
    registered = secure.superstore("schemas", "register", "schemas/sale/v1.avsc", *subject)
    assert registered.returncode == 0, registered.stderr
    checked = secure.superstore("schemas", "check", "schemas/sale/v2.avsc", *subject)
    assert checked.returncode == 0 and "compatible" in checked.stdout, checked.stderr
    refused = secure.superstore("schemas", "check", "schemas/examples/sale_quantity_as_string.avsc", *subject)
    assert refused.returncode == 4, refused.stderr
    listed = secure.superstore("schemas", "list")
    assert f"{topic}.schemas-value" in listed.stdout, listed.stderr
    no_credentials = secure.superstore("schemas", "list", env={"SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO": ""})
    assert no_credentials.returncode == 2 and "401" in no_credentials.stderr


def test_ssl_and_mutual_tls_listeners_with_a_properties_file(secure, warehouse, tmp_path):
    isolated, topic = warehouse
    tls, port = secure.tls, secure.base
    # The client settings in a file, the form providers hand out, instead of variables.
    server_only = tmp_path / "ssl.properties"
    server_only.write_text(f"# server verification only\nbootstrap.servers=127.0.0.1:{port + 4}\n"
                           f"security.protocol=SSL\nssl.ca.location={tls / 'ca.pem'}\n")
    mutual = tmp_path / "mtls.properties"
    mutual.write_text(f"bootstrap.servers=127.0.0.1:{port + 2}\nsecurity.protocol=SSL\n"
                      f"ssl.ca.location={tls / 'ca.pem'}\nssl.certificate.location={tls / 'client.pem'}\n"
                      f"ssl.key.location={tls / 'client.key'}\n")
    no_variables = {name: "" for name in secure.exported if name.startswith("KAFKA_")}
    env = {**no_variables, "DATABASE_URL": isolated.url}
    for properties in (server_only, mutual):
        shown = secure.superstore("offsets", "show", "--topic", topic, "--kafka-properties", str(properties), env=env)
        assert shown.returncode == 0, f"{properties.name}: {shown.stderr}"
        assert "partition 0" in shown.stdout
    # SCRAM-SHA-256 and PLAIN on the SASL_SSL listener.
    for mechanism in ("SCRAM-SHA-256", "PLAIN"):
        shown = secure.superstore("offsets", "show", "--topic", topic,
                                  env={"DATABASE_URL": isolated.url, "KAFKA_SASL_MECHANISM": mechanism})
        assert shown.returncode == 0, f"{mechanism}: {shown.stderr}"
    # The mutual-TLS listener without a client certificate.
    without = mutual.read_text().replace("ssl.certificate.location", "#").replace("ssl.key.location", "#")
    mutual.write_text(without)
    refused = secure.superstore("offsets", "show", "--topic", topic, "--kafka-properties", str(mutual), env=env)
    assert refused.returncode == 2 and "ssl.certificate.location" in refused.stderr, refused.stderr


def test_properties_the_pipeline_owns_or_java_only_are_refused_naming_the_key(secure, tmp_path):
    for line, named in [("enable.auto.commit=true", "the pipeline owns enable.auto.commit"),
                        ("isolation.level=read_uncommitted", "the pipeline owns isolation.level"),
                        ("sasl.jaas.config=x required username='u' password='hunter2';", "sasl.username")]:
        properties = tmp_path / "client.properties"
        properties.write_text(f"security.protocol=SASL_SSL\n{line}\n")
        refused = secure.superstore("generate", "--count", "1", "--kafka-properties", str(properties))
        assert refused.returncode == 2, refused.stderr
        assert named in refused.stderr and "line 2" in refused.stderr and "hunter2" not in refused.stderr


def refusals(secure, foreign_ca: Path) -> list:
    """(what, command, environment, what its one line must name) for each refusal a user meets."""
    e, other = secure.exported, other_name_for_loopback()
    kafka = ["generate", "--count", "1", "--topic", "secure.refusals"]
    registry = ["schemas", "list"]
    database = ["migrate"]
    registry_url, database_url = e["SCHEMA_REGISTRY_URL"], e["DATABASE_URL"]
    return [
        ("kafka wrong password", kafka, {"KAFKA_SASL_PASSWORD": "wrong-" + uuid.uuid4().hex}, "sasl.password"),
        ("kafka unknown CA", kafka, {"KAFKA_SSL_CA_LOCATION": str(foreign_ca)}, "unknown CA"),
        ("kafka hostname mismatch", kafka,
         {"KAFKA_BOOTSTRAP_SERVERS": e["KAFKA_BOOTSTRAP_SERVERS"].replace("127.0.0.1", other)}, "hostname mismatch"),
        ("kafka plaintext client", kafka, {"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}, "security.protocol"),
        ("registry wrong password", registry, {"SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO": "superstore:wrong"},
         "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"),
        ("registry unknown CA", registry, {"SCHEMA_REGISTRY_SSL_CA_LOCATION": str(foreign_ca)},
         "SCHEMA_REGISTRY_SSL_CA_LOCATION"),
        ("registry hostname mismatch", registry, {"SCHEMA_REGISTRY_URL": registry_url.replace("127.0.0.1", other)},
         "hostname mismatch"),
        ("registry plaintext client", registry, {"SCHEMA_REGISTRY_URL": registry_url.replace("https:", "http:")},
         "https://"),
        ("postgres wrong password", database,
         {"DATABASE_URL": database_url.replace(secure.passwords()[2], "wrong")}, "password in DATABASE_URL"),
        ("postgres unknown CA", database,
         {"DATABASE_URL": database_url.split("sslrootcert=")[0] + f"sslrootcert={foreign_ca}"}, "sslrootcert"),
        ("postgres hostname mismatch", database, {"DATABASE_URL": database_url.replace("127.0.0.1", other)},
         "host name"),
        ("postgres plaintext client", database,
         {"DATABASE_URL": database_url.replace("sslmode=verify-full", "sslmode=disable")}, "sslmode=verify-full"),
    ]


def test_each_refusal_exits_2_in_one_line_naming_the_setting_to_fix(secure, foreign_ca):
    failures = []
    for what, command, env, named in refusals(secure, foreign_ca):
        done = secure.superstore(*command, env=env, timeout=120)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        if done.returncode != 2 or len(lines) != 1 or named not in lines[0] or not lines[0].startswith("error:"):
            failures.append(f"{what}: exit {done.returncode}, stderr:\n{done.stderr}")
    assert not failures, "\n\n".join(failures)


def test_the_registry_serves_mutual_tls_and_refuses_basic_auth_in_clear_off_loopback(secure):
    tls, port = secure.tls, secure.base + 12
    exposed = secure.superstore("registry", "--bind", f"0.0.0.0:{port}",
                                env={"SUPERSTORE_REGISTRY_BASIC_AUTH": "u:p", "DATABASE_URL": secure.exported["DATABASE_URL"]})
    assert exposed.returncode == 2 and "--tls-cert" in exposed.stderr, exposed.stderr
    registry = subprocess.Popen(
        [str(superstore_binary()), "registry", "--bind", f"127.0.0.1:{port}", "--tls-cert", str(tls / "server.pem"),
         "--tls-key", str(tls / "server.key"), "--tls-client-ca", str(tls / "ca.pem")],
        cwd=ROOT, env={**secure.env, **secure.exported}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = {"SCHEMA_REGISTRY_URL": f"https://127.0.0.1:{port}", "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO": ""}
        client = {"SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION": str(tls / "client.pem"),
                  "SCHEMA_REGISTRY_SSL_KEY_LOCATION": str(tls / "client.key")}
        wait_for("the mutual-TLS registry", lambda: secure.superstore("schemas", "list", env={**url, **client}).returncode == 0, timeout=30)
        without = secure.superstore("schemas", "list", env=url)
        assert without.returncode == 2 and "SCHEMA_REGISTRY_SSL_CERTIFICATE_LOCATION" in without.stderr, without.stderr
    finally:
        registry.terminate()
        secure.outputs += list(registry.communicate(timeout=30))


def test_dbt_and_the_dag_build_the_warehouse_over_verified_tls(secure, warehouse, foreign_ca):
    isolated, _ = warehouse
    env = {**secure.env, **secure.exported, "DATABASE_URL": isolated.url}
    # The server takes TLS only (see the first test): a DAG run that builds the marts spoke it.
    dag = subprocess.run([str(ROOT / "scripts" / "airflow.sh"), "dags", "test", "superstore_warehouse"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    secure.outputs += [dag.stdout, dag.stderr]
    assert dag.returncode == 0, dag.stdout[-4000:] + dag.stderr[-4000:]
    staged = isolated.scalar("select count(*) from staging.sales_events")
    assert isolated.scalar("select count(*) from core.fct_sales") == staged > 0
    # …and verified the server's certificate: with a CA that did not sign it, dbt cannot connect.
    foreign = isolated.url.split("sslrootcert=")[0] + f"sslrootcert={foreign_ca}"
    debug = subprocess.run([str(ROOT / "scripts" / "dbt.sh"), "debug"], cwd=ROOT, env={**env, "DATABASE_URL": foreign},
                           capture_output=True, text=True, timeout=300)
    secure.outputs += [debug.stdout, debug.stderr]
    assert debug.returncode != 0 and "certificate verify failed" in debug.stdout + debug.stderr


def test_no_secret_in_any_output_log_or_endpoint(secure, warehouse):
    isolated, topic = warehouse
    address = free_address()
    run = subprocess.Popen(
        [str(superstore_binary()), "run", "--topic", topic, "--metrics-addr", address],
        cwd=ROOT, env={**isolated.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for("the pipeline to be ready", lambda: ready(address), timeout=60)
        bodies = [get(f"http://{address}{path}")[1] for path in ("/metrics", "/health/live", "/health/ready")]
    finally:
        run.terminate()
        bodies += list(run.communicate(timeout=60))
    trusting = ssl.create_default_context(cafile=str(secure.tls / "ca.pem"))
    with urllib.request.urlopen(f"{secure.exported['SCHEMA_REGISTRY_URL']}/metrics", context=trusting) as page:
        registry_metrics = page.read().decode()
    assert "superstore_registry" in registry_metrics
    logs = [p.read_text(errors="replace") for p in secure.home.rglob("*.log")]
    everything = "\n".join(secure.outputs + bodies + [registry_metrics] + logs)
    assert len(everything) > 10_000, "the outputs of the module's commands were kept"
    printed = [n for n, password in enumerate(secure.passwords()) if password in everything]
    assert not printed, f"passwords (Kafka 0, registry 1, PostgreSQL 2) printed: {printed}"
