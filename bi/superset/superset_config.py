"""Superset's configuration for Leadflow's dashboards (``make superset``): metadata in SQLite under
``SUPERSET_HOME``, a secret key made once per home (or ``SUPERSET_SECRET_KEY``). A production
Superset keeps its own configuration; it needs only the bundle (``leadflow superset-bundle``) and
a DuckDB or PostgreSQL driver."""

import os
import secrets
from pathlib import Path

DATA_DIR = os.environ["SUPERSET_HOME"]
SQLALCHEMY_DATABASE_URI = f"sqlite:///{DATA_DIR}/superset.db"


def _secret_key() -> str:
    key_file = Path(DATA_DIR) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or _secret_key()
# The dashboards read a local DuckDB file, which Superset's guard against local databases refuses.
PREVENT_UNSAFE_DB_CONNECTIONS = False
# Render every chart of a dashboard, not only those scrolled into view: the dashboards are small,
# and a screenshot or a printed page shows them whole.
FEATURE_FLAGS = {"DASHBOARD_VIRTUALIZATION": False}
