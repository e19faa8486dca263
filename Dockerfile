# syntax=docker/dockerfile:1
# The images of the Docker stack (docker-compose.yml builds both targets):
#   superstore  the `superstore` binary on Debian slim, as a non-root user
#   airflow     Airflow with dbt, to run airflow/dags through scripts/dbt.sh
#   superset    Apache Superset from bi/superset/requirements.lock, for the dashboard bundle
#
#   docker build --target superstore --tag superstore:local .

# Cargo.lock needs Rust 1.95 (parking_lot 0.13, lock_api 0.5), newer than the
# workspace's declared rust-version.
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm
# Keep these three in step with requirements.txt.
ARG AIRFLOW_VERSION=3.3.2
ARG DBT_CORE_SPEC="~=1.11.0"
ARG DBT_POSTGRES_SPEC="~=1.11.0"
ARG PYTHON_VERSION=3.11

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS build
# rdkafka-sys builds librdkafka from source (C and C++, make, perl, zlib) with
# TLS and SASL through the system OpenSSL (libssl-dev); Diesel links libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc g++ make perl pkg-config libpq-dev zlib1g-dev \
      libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY domain domain
COPY database database
COPY kafka-settings kafka-settings
COPY registry registry
COPY stack stack
COPY actors actors
COPY schemas schemas
COPY migrations migrations
# The local Prometheus of `superstore up --monitoring` compiles the alert rules in.
COPY deploy/prometheus/alerts.yml deploy/prometheus/alerts.yml
# The caches keep crates and build artifacts between builds; the binary is
# copied out of the cached target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin superstore \
 && install -D target/release/superstore /out/superstore

FROM debian:${DEBIAN_RELEASE}-slim AS superstore
# libpq5 for Diesel, libssl3 for librdkafka's TLS (librdkafka itself is
# linked in statically). curl serves the healthchecks of the registry and the
# pipeline.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 superstore \
 && useradd --system --uid 10001 --gid superstore --home-dir /var/lib/superstore --create-home --shell /usr/sbin/nologin superstore
COPY --from=build /out/superstore /usr/local/bin/superstore
USER 10001:10001
WORKDIR /var/lib/superstore
ENV SUPERSTORE_LOG_FORMAT=json
ENTRYPOINT ["superstore"]
CMD ["--help"]

FROM apache/airflow:${AIRFLOW_VERSION} AS airflow
ARG AIRFLOW_VERSION
ARG DBT_CORE_SPEC
ARG DBT_POSTGRES_SPEC
# Airflow is named with its version so that pip cannot move it while
# resolving dbt (Airflow's advice for adding packages to its image).
RUN pip install --no-cache-dir \
      "apache-airflow==${AIRFLOW_VERSION}" \
      "dbt-core${DBT_CORE_SPEC}" \
      "dbt-postgres${DBT_POSTGRES_SPEC}"
# scripts/dbt.sh runs <project>/.venv/bin/python and <project>/.venv/bin/dbt.
# The compose file mounts dbt/ and scripts/ under /opt/superstore and has no
# virtual environment to mount, so those two paths lead to the image's own.
USER root
RUN install -d --owner airflow --group root /opt/superstore/.venv/bin
USER airflow
RUN set -eux; \
    ln -s "$(command -v python)" /opt/superstore/.venv/bin/python; \
    ln -s "$(command -v dbt)" /opt/superstore/.venv/bin/dbt; \
    /opt/superstore/.venv/bin/python -c 'import urllib.parse, shlex'; \
    /opt/superstore/.venv/bin/dbt --version
ENV SUPERSTORE_PROJECT_DIR=/opt/superstore
CMD ["standalone"]

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS superset
# The same locked set as .venv-superset (scripts/superset.sh), driver included.
# The configuration and the bundle are mounted from bi/superset at run time.
COPY bi/superset/requirements.lock /opt/superset/requirements.lock
RUN pip install --no-cache-dir --requirement /opt/superset/requirements.lock \
 && groupadd --system --gid 10002 superset \
 && useradd --system --uid 10002 --gid superset --home-dir /var/lib/superset --create-home --shell /usr/sbin/nologin superset
USER 10002:10002
WORKDIR /var/lib/superset
ENV SUPERSET_HOME=/var/lib/superset \
    SUPERSET_CONFIG_PATH=/opt/superstore/bi/superset/superset_config.py
EXPOSE 8088
CMD ["gunicorn", "--bind", "0.0.0.0:8088", "--workers", "2", "--threads", "4", "--timeout", "120", \
     "superset.app:create_app()"]
