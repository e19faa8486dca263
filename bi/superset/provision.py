"""Provisions Superset for this project, idempotently, once its metadata
database is migrated and initialised (scripts/superset.sh up runs it):

1. the read-only warehouse role that the bundle's database connects as;
2. the admin user (SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD);
3. the bundle of bi/superset/bundle (database, datasets, charts, dashboard).

The bundle is imported kind by kind with overwrite on: Superset's dashboard
import alone would keep stale charts and datasets, so a re-run updates every
asset in place, matched by uuid, and duplicates nothing. The warehouse's
host, port and database, and the role's password, are filled in here and
never written to disk.

Environment: DATABASE_URL (the warehouse's owner, to create the role),
SUPERSET_ADMIN_USER, SUPERSET_ADMIN_PASSWORD, SUPERSET_READER_PASSWORD."""

import json
import os
import sys
from pathlib import Path

import yaml
from sqlalchemy.engine.url import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reader_role import ensure_reader_role  # noqa: E402

BUNDLE = Path(__file__).resolve().parent / "bundle"
# Superset checks each import command's manifest against the kind it imports.
KINDS = ("Database", "SqlaTable", "Slice", "Dashboard")


def bundle_contents(warehouse_url: str, reader_password: str) -> dict[str, str]:
    """The bundle's files as Superset's importers take them, with the live connection filled in."""
    warehouse = make_url(warehouse_url)
    contents = {}
    for path in sorted(BUNDLE.rglob("*.yaml")):
        name, config = path.relative_to(BUNDLE).as_posix(), yaml.safe_load(path.read_text())
        if name.startswith("databases/"):
            # The owner's TLS settings (sslmode=verify-full&sslrootcert=…) go with the reader.
            uri = make_url(config["sqlalchemy_uri"]).set(
                host=warehouse.host, port=warehouse.port or 5432, database=warehouse.database,
                password=reader_password, query=warehouse.query)
            config["sqlalchemy_uri"] = uri.render_as_string(hide_password=False)
        if name.startswith("charts/") and config.get("query_context"):
            context = json.loads(config["query_context"])
            context["form_data"] = config["params"]  # one source for what the chart asks
            config["query_context"] = json.dumps(context)
        contents[name] = yaml.safe_dump(config)
    return contents


def reader_role_name() -> str:
    [database] = BUNDLE.glob("databases/*.yaml")
    return make_url(yaml.safe_load(database.read_text())["sqlalchemy_uri"]).username


def ensure_admin(username: str, password: str):
    from superset import security_manager

    admin_role = security_manager.find_role("Admin")
    user = security_manager.find_user(username=username)
    if user is None:
        user = security_manager.add_user(username, "Superstore", "Admin", f"{username}@localhost.localdomain",
                                         admin_role, password=password)
        if not user:
            raise SystemExit(f"provision: could not create the Superset user {username}")
    else:
        security_manager.reset_password(user.id, password)
        if admin_role not in user.roles:
            user.roles.append(admin_role)
            security_manager.update_user(user)
    return user


def import_bundle(contents: dict[str, str], admin) -> None:
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.utils.core import override_user

    manifest = yaml.safe_load(contents["metadata.yaml"])
    commands = (ImportDatabasesCommand, ImportDatasetsCommand, ImportChartsCommand, ImportDashboardsCommand)
    for command, kind in zip(commands, KINDS):
        with override_user(admin):
            command({**contents, "metadata.yaml": yaml.safe_dump({**manifest, "type": kind})}, overwrite=True).run()


def main() -> None:
    owner_url, reader_password = os.environ["DATABASE_URL"], os.environ["SUPERSET_READER_PASSWORD"]
    role = reader_role_name()
    ensure_reader_role(owner_url, role, reader_password)
    print(f"warehouse role {role}: SELECT on marts and core, read-only sessions")

    from superset.app import create_app

    app = create_app()
    with app.app_context():
        admin = ensure_admin(os.environ.get("SUPERSET_ADMIN_USER", "admin"), os.environ["SUPERSET_ADMIN_PASSWORD"])
        contents = bundle_contents(owner_url, reader_password)
        import_bundle(contents, admin)
        counts = {kind: sum(name.startswith(kind + "/") for name in contents)
                  for kind in ("databases", "datasets", "charts", "dashboards")}
        print("bundle imported (overwrite): " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))


if __name__ == "__main__":
    main()
