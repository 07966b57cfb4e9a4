"""srekit.Pipeline: the exporter's log pipeline run in-process over the core, feeding the
application's own Registry (container envelopes, Kubernetes metadata and rule options included)."""

import time

import pytest

import srekit


def config(tmp_path, extra=""):
    logs = tmp_path / "var/log/containers"
    logs.mkdir(parents=True)
    return logs, f"""
[state]
directory = "{tmp_path / 'state'}"

[[inputs]]
name = "containers"
paths = ["{logs}/*.log"]
container = "cri"
kubernetes = true
format = "logfmt"
read_from_head = true
{extra}

[[metrics]]
name = "requests_total"
kind = "counter"
labels = {{ namespace = "kubernetes.namespace", status = "status" }}
const_labels = {{ team = "shop" }}
"""


def test_poll_feeds_the_applications_registry(tmp_path):
    logs, toml = config(tmp_path)
    registry = srekit.Registry()
    registry.counter("app_started_total", "Starts.").inc()
    log = logs / "web-1_shop_app-abc123.log"
    log.write_text("2024-05-01T10:00:00Z stdout P status=\n2024-05-01T10:00:00Z stdout F 200\n")
    pipeline = srekit.Pipeline(toml, registry=registry)
    summary = pipeline.poll()
    assert summary["lines"] == 2 and summary["parse_errors"] == 0
    text = registry.encode().decode()
    assert 'requests_total{namespace="shop",status="200",team="shop"} 1' in text
    assert "app_started_total 1" in text
    pipeline.stop()
    assert (tmp_path / "state" / "checkpoint.json").exists()


def test_started_pipeline_counts_new_lines_and_stops_cleanly(tmp_path):
    logs, toml = config(tmp_path)
    log = logs / "web-1_shop_app-abc123.log"
    log.write_text("")
    with srekit.Pipeline(toml) as pipeline:
        with pytest.raises(srekit.ConfigError):
            pipeline.poll()
        with open(log, "a") as f:
            f.write("2024-05-01T10:00:00Z stdout F status=503\n")
        deadline = time.monotonic() + 10
        while 'status="503"' not in pipeline.registry.encode().decode() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 'requests_total{namespace="shop",status="503",team="shop"} 1' in pipeline.registry.encode().decode()
    pipeline.stop()  # a second stop is harmless
    assert pipeline.errors() == []


def test_bad_config_raises_config_error(tmp_path):
    with pytest.raises(srekit.ConfigError, match="invalid pipeline config"):
        srekit.Pipeline("[[inputs]]\nnmae = 1")
    _, toml = config(tmp_path, 'ignore_older = "soon"')
    with pytest.raises(srekit.ConfigError, match="ignore_older"):
        srekit.Pipeline(toml)
