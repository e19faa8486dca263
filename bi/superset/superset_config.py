"""Superset's settings for this project, read through SUPERSET_CONFIG_PATH
(scripts/superset.sh sets it).

Metadata lives in SQLite under SUPERSET_HOME (.superstore/superset by
default); the secret key comes from the environment or from a file of mode
0600 there, never from this repository. The browser loads nothing from
outside: the content security policy allows this server only, so neither the
telemetry pixel nor web fonts are fetched."""

import os
from pathlib import Path

_home = Path(os.environ.get("SUPERSET_HOME", Path.cwd() / ".superstore" / "superset"))


def _secret_key() -> str:
    if os.environ.get("SUPERSET_SECRET_KEY"):
        return os.environ["SUPERSET_SECRET_KEY"]
    path = _home / "secret_key"
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run scripts/superset.sh up, or set SUPERSET_SECRET_KEY")
    return path.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URL", f"sqlite:///{_home / 'superset.db'}")
# SQLite allows one writer: wait for it rather than fail under concurrent requests.
if SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
    SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}}

# The rate limiter keeps its counters in memory: one process, no Redis here.
RATELIMIT_STORAGE_URI = "memory://"
# Results of chart queries are cached for a minute, per process.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 60}

TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": ["'self'"],
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:", "data:"],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": "'none'",
        "style-src": ["'self'", "'unsafe-inline'"],
        "font-src": ["'self'", "data:"],
        "script-src": ["'self'", "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}

# Every chart of a dashboard renders at once, not only those scrolled into
# view: what a screenshot or a test sees is the whole dashboard.
FEATURE_FLAGS = {"DASHBOARD_VIRTUALIZATION": False}
