"""prefect.yaml names flows that exist, so `prefect deploy` finds every entrypoint."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow

REPO = Path(__file__).resolve().parents[1]


def test_every_entrypoint_is_a_flow() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))

    assert config["deployments"], "no deployment declared"
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, name), Flow), deployment["name"]
        assert deployment["work_pool"]["name"] == "sgl"
