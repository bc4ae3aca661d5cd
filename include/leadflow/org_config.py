"""The org's configuration: a folder of CSV files named like the shipped policy seeds they replace.

``LEADFLOW_ORG_CONFIG=<dir>`` (``make demo ... ORG_CONFIG=<dir>``) names the folder. dbt then
reads its seeds from a folder composed of the shipped seeds with the org's files in their place
(``LEADFLOW_SEED_PATH``, which ``dbt_project.yml``'s ``seed-paths`` reads). A file the org's folder
does not hold keeps its default. ``lead_fields.csv`` is the one file merged rather than replaced:
the org's file (``role,field``) names its own system's fields, and a role it does not list keeps
the shipped default, so a folder need only say what differs.

The composed folder (``dbt_project/org-config-seeds/<digest>``, inside the project: dbt writes a
seed's compiled form to its path under ``target/``, which for a path outside the project is the
seed file itself) is named by a digest of its content, so each process that starts dbt (the DAG's
producer, ``make night``) composes the same folder and none writes another's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

COMPOSED = "org-config-seeds"  # under the dbt project (git-ignored)

ORG_CONFIG_ENV = "LEADFLOW_ORG_CONFIG"
SEED_PATH_ENV = "LEADFLOW_SEED_PATH"
MERGED_BY_ROLE = "lead_fields.csv"


class OrgConfigError(ValueError):
    """The org's configuration folder cannot be used as it is."""


def folder() -> Path | None:
    """The org's configuration folder, if one is set; a folder that is not there is an error."""
    value = os.environ.get(ORG_CONFIG_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise OrgConfigError(f"{ORG_CONFIG_ENV}={value}: no such folder")
    return path


def _csv_text(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def merged_lead_fields(default: str, org: str, org_name: str = MERGED_BY_ROLE) -> str:
    """The shipped ``lead_fields`` (``system,role,field``) with each role the org's file lists set
    to the org's field, for every system (an org runs one)."""
    _, defaults = _rows(default)
    columns, own = _rows(org)
    if not {"role", "field"} <= set(columns):
        raise OrgConfigError(f"{org_name}: expected the columns role,field; found {','.join(columns)}")
    fields = {row["role"].strip(): (row["field"] or "").strip() for row in own}
    unknown = sorted(set(fields) - {row["role"] for row in defaults})
    if unknown:
        raise OrgConfigError(f"{org_name}: unknown roles {', '.join(unknown)}")
    merged = [{**row, "field": fields.get(row["role"], row["field"])} for row in defaults]
    return _csv_text(merged, ["system", "role", "field"])


def composed_files(seeds: Path, org: Path) -> dict[str, str]:
    """The seed folder's files as dbt should read them: the shipped ones with the org's in place."""
    files = {path.name: path.read_text(encoding="utf-8") for path in sorted(seeds.glob("*.csv"))}
    for path in sorted(org.glob("*.csv")):
        if path.name not in files:
            raise OrgConfigError(
                f"{path}: no shipped seed of that name (the folder's files replace: {', '.join(sorted(files))})"
            )
        text = path.read_text(encoding="utf-8-sig")
        merged = path.name == MERGED_BY_ROLE
        files[path.name] = merged_lead_fields(files[path.name], text, str(path)) if merged else text
    return files


def seed_path(dbt_project: Path) -> Path | None:
    """The folder dbt reads seeds from for the org's configuration (composed if not there yet),
    relative to the project, or None when no configuration is set (dbt reads ``seeds/``)."""
    org = folder()
    if org is None:
        return None
    files = composed_files(dbt_project / "seeds", org)
    digest = hashlib.sha256("\0".join(f"{n}\0{t}" for n, t in sorted(files.items())).encode()).hexdigest()[:16]
    target = dbt_project / COMPOSED / digest
    if not target.is_dir():
        target.parent.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".composing-", dir=target.parent))
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:  # another process composed the same folder first
            shutil.rmtree(staging, ignore_errors=True)
    return target.relative_to(dbt_project)


def seed_rows(dbt_project: Path, name: str) -> list[dict[str, str]]:
    """A policy seed's rows as dbt reads them tonight: the org's configuration composed over the
    shipped seeds (what an extractor that reads the configuration too must agree with)."""
    with (dbt_project / (seed_path(dbt_project) or "seeds") / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def dbt_env(dbt_project: Path) -> dict[str, str]:
    """What dbt's environment needs for the org's configuration (nothing without one)."""
    path = seed_path(dbt_project)
    return {SEED_PATH_ENV: str(path)} if path else {}


def fingerprint_files() -> list[Path]:
    """The org's configuration files, part of what a published night was built from."""
    org = folder()
    return sorted(org.glob("*.csv")) if org else []
