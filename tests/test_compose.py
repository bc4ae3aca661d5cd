"""docker-compose.yml is valid Compose and everything it names exists (no Docker engine runs here)."""

from __future__ import annotations

import json
import re

import yaml
from compose_spec import PyCompose
from leadflow.settings import PROJECT_ROOT

VARIABLE = re.compile(r"\$\$|\$\{(\w+)(:-([^}]*))?\}")


def _env_example() -> dict[str, str]:
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


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


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    spec, _ = _interpolated(_env_example())
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
    } <= set(compose.service_names())


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
    base = (PROJECT_ROOT / "Dockerfile").read_text().splitlines()[1]
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    airflow = re.search(r"apache-airflow==([\d.]+)", requirements).group(1)
    assert base == f"FROM apache/airflow:{airflow}-python3.11"
    assert spec["services"]["airflow-apiserver"]["image"].endswith(airflow)
    for copied in re.findall(r"^COPY (?:--chown=\S+ )?(.+) \S+$", (PROJECT_ROOT / "Dockerfile").read_text(), re.M):
        for path in copied.split():
            assert (PROJECT_ROOT / path).exists(), path


def test_commands_are_airflow_and_leadflow_commands() -> None:
    from airflow.cli.cli_parser import get_parser

    spec, _ = _interpolated(_env_example())
    airflow_commands = set(get_parser()._subparsers._group_actions[0].choices)
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert spec["services"][name]["command"] in airflow_commands, name
    sandbox = spec["services"]["sandbox"]
    assert sandbox["entrypoint"] == ["python", "-m", "leadflow.cli"]
    from leadflow.cli import build_parser

    arguments = build_parser().parse_args(sandbox["command"])  # exits on an unknown option
    assert arguments.fixtures == "/fixtures" and arguments.host == "0.0.0.0"
