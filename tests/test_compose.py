"""docker-compose.yml is valid Compose and everything it names exists (no Docker engine runs here).

Both shapes are checked: the single-machine default (.env.example) and the scale-out profile
(.env.example + .env.scale-out, profile `scale-out`).
"""

from __future__ import annotations

import importlib
import json
import re

import pytest
import yaml
from compose_spec import PyCompose
from leadflow.settings import PROJECT_ROOT

VARIABLE = re.compile(r"\$\$|\$\{(\w+)(:-([^}]*))?\}")
AIRFLOW_SERVICES = ["airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"]
SHAPES = {"single-machine": ([".env.example"], set()), "scale-out": ([".env.example", ".env.scale-out"], {"scale-out"})}


def _env_example(*files: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for name in files or (".env.example",):
        lines = (PROJECT_ROOT / name).read_text().splitlines()
        env.update(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return env


def _active(spec: dict, profiles: set[str]) -> dict[str, dict]:
    """The services `docker compose --profile ...` starts."""
    return {
        name: service
        for name, service in spec["services"].items()
        if not service.get("profiles") or profiles & set(service["profiles"])
    }


def _shape(shape: str) -> tuple[dict, dict[str, dict]]:
    """The interpolated compose file of a shape, and the services that shape starts."""
    files, profiles = SHAPES[shape]
    spec, _ = _interpolated(_env_example(*files))
    return spec, _active(spec, profiles)


def _interpolated(env: dict[str, str]) -> tuple[dict, set[str]]:
    """The compose file as docker compose reads it: variables interpolated (defaults or .env)."""
    used: set[str] = set()

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        used.add(match.group(1))
        return env.get(match.group(1)) or match.group(3) or ""

    text = VARIABLE.sub(substitute, (PROJECT_ROOT / "docker-compose.yml").read_text())
    return yaml.safe_load(text), used


@pytest.mark.parametrize("shape", SHAPES)
def test_compose_file_is_valid_against_the_compose_specification(shape: str) -> None:
    spec, active = _shape(shape)
    compose = PyCompose.from_json(json.dumps(spec))
    assert {
        "postgres",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "sandbox",
        "metabase",
        "redis",
        "airflow-worker",
        "warehouse-db",
    } <= set(compose.service_names())
    for name, service in active.items():  # what a shape starts depends only on what it starts
        for needed, condition in service.get("depends_on", {}).items():
            assert needed in active or condition.get("required") is False, (shape, name, needed)


def test_single_machine_shape_is_local_executor_on_duckdb() -> None:
    spec, active = _shape("single-machine")
    assert not {"redis", "airflow-worker", "warehouse-db"} & set(active)
    for name in AIRFLOW_SERVICES:
        env = spec["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor" and env["LEADFLOW_DBT_TARGET"] == "duckdb", name
    assert "leadflow_warehouse 1 " in spec["services"]["airflow-init"]["command"][1]


def test_scale_out_shape_is_celery_on_the_postgres_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    from leadflow.settings import paths

    _, active = _shape("scale-out")
    assert {"redis", "airflow-worker", "warehouse-db"} <= set(active)
    database = active["warehouse-db"]["environment"]
    for name in [*AIRFLOW_SERVICES, "airflow-worker"]:
        env = active[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:@redis:6379/"), name
        for key, value in env.items():  # the night's settings, as a worker reads them
            if key.startswith("LEADFLOW_"):
                monkeypatch.setenv(key, str(value))
        where = paths()
        warehouse = where.warehouse
        assert warehouse.target == "postgres" and warehouse.work.host == "warehouse-db"
        assert warehouse.work.dbname == database["POSTGRES_DB"]
        assert warehouse.published.dbname == database["LEADFLOW_PG_PUBLISHED_DATABASE"]
        assert warehouse.reader_role == database["LEADFLOW_PG_READER_ROLE"]
        assert (warehouse.work.user, warehouse.work.password) == (
            database["POSTGRES_USER"],
            database["POSTGRES_PASSWORD"],
        )
    assert "leadflow_warehouse 8 " in active["airflow-init"]["command"][1]


def test_invalid_compose_is_rejected() -> None:
    spec, _ = _interpolated(_env_example())
    spec["services"]["postgres"]["restart"] = "sometimes"
    try:
        PyCompose.from_json(json.dumps(spec))
    except ValueError as error:
        assert "sometimes" in str(error)
    else:
        raise AssertionError("an invalid restart policy was accepted")


def test_every_variable_path_and_image_exists() -> None:
    env = _env_example()
    spec, used = _interpolated(env)
    defaulted = set(re.findall(r"\$\{(\w+):-", (PROJECT_ROOT / "docker-compose.yml").read_text()))
    assert used - defaulted <= set(env), "variables without a default must be in .env.example"
    for name, service in spec["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                target = (PROJECT_ROOT / source).resolve()
                assert target.exists() or source == "./demo/fixtures", (name, source)
            else:
                assert source in spec["volumes"], (name, source)
        image = service.get("image", "")
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image), (name, image)
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    airflow = re.search(r"apache-airflow==([\d.]+)", requirements).group(1)
    assert f"FROM apache/airflow:{airflow}-python3.11 AS airflow" in dockerfile
    assert spec["services"]["airflow-apiserver"]["image"].endswith(airflow)
    stages = set(re.findall(r"^FROM \S+ AS (\w+)$", dockerfile, re.M))
    for name, service in spec["services"].items():
        if isinstance(service.get("build"), dict):
            assert service["build"]["target"] in stages, name
    for copied in re.findall(r"^COPY (?:--chown=\S+ )?(.+) \S+$", (PROJECT_ROOT / "Dockerfile").read_text(), re.M):
        for path in copied.split():
            assert (PROJECT_ROOT / path).exists(), path


def _is_airflow_command(words: list[str]) -> bool:
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    for word in words:
        choices = parser._subparsers._group_actions[0].choices if parser._subparsers else {}
        if word not in choices:
            return False
        parser = choices[word]
    return True


def test_commands_are_airflow_and_leadflow_commands() -> None:
    spec, _ = _interpolated(_env_example())
    for name in [*AIRFLOW_SERVICES, "airflow-worker"]:
        assert _is_airflow_command(spec["services"][name]["command"].split()), name
    assert not _is_airflow_command(["celery", "gardener"])
    worker_check = spec["services"]["airflow-worker"]["healthcheck"]["test"][1]
    module, attribute = re.search(r"--app (\S+)\.(\w+) ", worker_check).groups()
    assert hasattr(importlib.import_module(module), attribute)
    sandbox = spec["services"]["sandbox"]
    assert sandbox["entrypoint"] == ["python", "-m", "leadflow_dev.cli"]
    from leadflow_dev.cli import build_parser

    arguments = build_parser().parse_args(sandbox["command"])  # exits on an unknown option
    assert arguments.fixtures == "/fixtures" and arguments.host == "0.0.0.0"


def test_the_product_image_carries_no_developer_tools() -> None:
    """The sandbox, the generator and their web-server packages are a stage of their own; the
    product image (stage airflow, the compose services' image) holds neither them nor a browser."""
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    product = dockerfile.split("FROM airflow AS sandbox")[0]
    assert "leadflow_dev" not in product and "requirements-sandbox" not in product
    assert "chromium" not in dockerfile.lower()
    runtime = {
        line.split("==")[0] for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    }
    sandbox = {
        line.split("==")[0]
        for line in (PROJECT_ROOT / "requirements-sandbox.txt").read_text().splitlines()
        if "==" in line
    }
    assert sandbox and not runtime & sandbox
    # the product package never imports the developer tools (the product image does not hold them)
    for module in (PROJECT_ROOT / "include" / "leadflow").rglob("*.py"):
        assert "leadflow_dev" not in module.read_text(), module
    spec, _ = _interpolated(_env_example())
    assert spec["services"]["sandbox"]["build"]["target"] == "sandbox"
    assert spec["services"]["airflow-scheduler"]["build"]["target"] == "airflow"
