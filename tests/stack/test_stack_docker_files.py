"""The Docker files, checked by reading them: no Docker engine runs here or in CI.

What a reviewer (or hadolint) would look for: pinned base images, a non-root user in every
image we build, health checks everywhere, JSON-form commands, no secrets baked in or
written into compose.yml, start order by health, named volumes for the data and the model,
and an env file that names only settings Haki knows.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

DOCKER = Path(__file__).resolve().parents[2] / "docker"
ROOT = DOCKER.parent
DOCKERFILES = ("Dockerfile.app", "Dockerfile.rasa")
SECRET_WORDS = re.compile(r"(SECRET|PASSWORD|TOKEN|_KEY|KEYS)\b", re.IGNORECASE)


def instructions(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined: list[str] = []
    current = ""
    for line in (DOCKER / name).read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        joined.append(current + stripped)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in joined]


def final_stage(name: str) -> list[tuple[str, str]]:
    steps = instructions(name)
    last_from = max(index for index, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


@pytest.mark.parametrize("name", DOCKERFILES)
def test_base_images_are_pinned_slim_python(name: str) -> None:
    steps = instructions(name)
    defaults = dict(re.match(r"(\w+)=(\S+)", args).groups()  # type: ignore[union-attr]
                    for op, args in steps if op == "ARG" and "=" in args)
    images = [args.split()[0] for op, args in steps if op == "FROM"]
    resolved = [defaults.get(image.strip("${}"), image) for image in images]
    assert resolved, "no FROM"
    for image in resolved:
        assert re.fullmatch(r"python:3\.1[01]-slim-bookworm", image), image


@pytest.mark.parametrize("name", DOCKERFILES)
def test_images_run_as_a_numeric_non_root_user_with_a_healthcheck(name: str) -> None:
    runtime = final_stage(name)
    users = [args for op, args in runtime if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert users[-1].split(":")[0].isdigit(), "a numeric uid lets Kubernetes verify runAsNonRoot"
    healthchecks = [args for op, args in runtime if op == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "CMD [" in healthchecks[0]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_commands_are_json_form_and_nothing_secret_is_baked_in(name: str) -> None:
    for op, args in instructions(name):
        if op in {"CMD", "ENTRYPOINT", "SHELL"}:
            assert args.startswith("["), f"{op} {args}: shell form loses signals"
        if op in {"ENV", "ARG", "LABEL"}:
            assert not SECRET_WORDS.search(args), f"{op} {args}"
        if op == "RUN" and "pip install" in args:
            assert "--no-cache-dir" in args
        if op == "RUN":
            assert "apt-get install" not in args, "no system packages needed: wheels only"
        if op == "ADD":
            pytest.fail("use COPY (ADD fetches URLs and unpacks archives)")


@pytest.mark.parametrize("name", DOCKERFILES)
def test_everything_copied_exists_and_the_context_excludes_env_files(name: str) -> None:
    ignore = (DOCKER / f"{name}.dockerignore").read_text().splitlines()
    assert "**" in ignore, "start from nothing, allow what is needed"
    for op, args in instructions(name):
        if op != "COPY" or "--from=" in args:
            continue
        sources = [part for part in args.split() if not part.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert f"!{source}" in ignore or f"!{source.rstrip('/')}/" in ignore or any(
                source.startswith(line[1:].rstrip("/")) for line in ignore if line.startswith("!")
            ), f"{source} is excluded from the build context"
    if name == "Dockerfile.app":
        assert "**/.env" in ignore and "**/*.env" in ignore


def test_every_long_running_service_has_a_healthcheck_and_starts_in_order() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "rasa", "migrate", "app", "worker", "beat",
                             "proxy"}
    for name, service in services.items():
        check = service.get("healthcheck", {})
        if name == "migrate":  # one-shot: the others wait for it to complete instead
            assert check.get("disable") is True
            continue
        assert check.get("test"), f"{name} has no healthcheck"
    app = services["app"]["depends_on"]
    assert app["migrate"]["condition"] == "service_completed_successfully"
    assert {app[part]["condition"] for part in ("postgres", "redis", "rasa")} == {"service_healthy"}
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_state_lives_in_named_volumes() -> None:
    document = compose()
    assert {"postgres-data", "redis-data", "rasa-models"} <= set(document["volumes"])
    services = document["services"]
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "rasa-models:/app/models" in services["rasa"]["volumes"]


def test_secrets_come_from_env_files_never_from_compose_yml() -> None:
    services = compose()["services"]
    for name in ("migrate", "app", "worker", "beat"):
        assert services[name]["env_file"] == ["haki.env"]
        for key, value in services[name]["environment"].items():
            assert not SECRET_WORDS.search(key), f"{name}: {key}={value} belongs in haki.env"
    assert services["postgres"]["env_file"] == ["postgres.env"]
    assert "environment" not in services["postgres"]
    gitignore = (DOCKER / ".gitignore").read_text().splitlines()
    assert "*.env" in gitignore


def test_only_the_proxy_is_published_and_only_on_loopback() -> None:
    """gunicorn is never exposed directly: nginx in front buffers requests (issue 13, 10)."""
    services = compose()["services"]
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert list(published) == ["proxy"]
    assert all(str(port).startswith("127.0.0.1:") for port in published["proxy"])
    assert services["proxy"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]


@pytest.mark.parametrize("path", [DOCKER / "nginx.conf",
                                  ROOT / "scripts" / "stack" / "nginx.conf.template"])
def test_the_proxy_buffers_requests_with_client_timeouts(path: Path) -> None:
    config = path.read_text()
    for directive in ("client_header_timeout 10s;", "client_body_timeout 10s;",
                      "client_max_body_size 64k;", "proxy_request_buffering on;",
                      "access_log off;"):
        assert directive in config, directive


def test_our_containers_run_unprivileged() -> None:
    services = compose()["services"]
    for name in ("app", "worker", "beat", "migrate", "rasa", "proxy"):
        assert services[name]["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in services[name]["security_opt"]
    for name in ("postgres", "redis"):
        assert services[name]["user"] in {"postgres", "redis"}


def test_the_env_example_names_only_known_settings_and_every_required_one() -> None:
    known = {f"HAKI_{field.upper()}" for field in Settings.model_fields}
    lines = [line for line in (DOCKER / "haki.env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    names = {line.split("=", 1)[0] for line in lines}
    assert names <= known, names - known
    required = {f"HAKI_{name.upper()}" for name, field in Settings.model_fields.items()
                if field.is_required()}
    assert required <= names
    assert {"HAKI_PUBLIC_URL", "HAKI_DATABASE_URL", "HAKI_ENCRYPTION_KEYS",
            "HAKI_TWILIO_AUTH_TOKEN", "HAKI_TELEGRAM_SECRET"} <= names


@pytest.mark.parametrize("script", ["entrypoint.sh", "rasa_entrypoint.sh"])
def test_entrypoints_are_posix_sh_that_exec_the_server(script: str) -> None:
    path = DOCKER / script
    assert path.read_text().startswith("#!/bin/sh\n")
    assert subprocess.run(["sh", "-n", str(path)], check=False).returncode == 0
    assert "exec " in path.read_text()
    assert path.stat().st_mode & 0o111, "must be executable"


def test_the_gunicorn_config_loads_and_shuts_down_gracefully(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setenv("HAKI_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    config = runpy.run_path(str(DOCKER / "gunicorn.conf.py"))
    assert config["workers"] == 3
    assert config["preload_app"] is False
    assert config["graceful_timeout"] < config["timeout"] + 1
    assert "%(U)s" in config["access_log_format"] and "%(q)s" not in config["access_log_format"]
    stop_grace = compose()["services"]["app"]["stop_grace_period"]
    assert int(stop_grace.rstrip("s")) > config["graceful_timeout"]


def test_each_image_is_built_by_exactly_one_service() -> None:
    services = compose()["services"]
    builders: dict[str, list[str]] = {}
    for name, service in services.items():
        if "build" in service:
            builders.setdefault(service["image"], []).append(name)
    assert builders == {"haki-app:${HAKI_VERSION:-latest}": ["app"],
                        "haki-rasa:${HAKI_VERSION:-latest}": ["rasa"]}
    for name in ("migrate", "worker", "beat"):
        assert services[name]["image"] == services["app"]["image"]
