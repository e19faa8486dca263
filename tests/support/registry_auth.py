"""A registry behind basic authentication, as the registry and secrets
tests start it: the variable that carries a client's credentials, a free
port to serve on, and the HTTP status a request with (or without) them
gets."""

import base64
import socket
import urllib.error
import urllib.request

USER_INFO_VARIABLE = "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_of(url: str, user_info: str | None = None) -> int:
    request = urllib.request.Request(url)
    if user_info:
        request.add_header("Authorization", "Basic " + base64.b64encode(user_info.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code
