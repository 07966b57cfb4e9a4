"""srekit: host metrics, log parsing and Prometheus/OpenMetrics encoding from one Rust core.

Everything here is implemented in the native module ``srekit._srekit``; this file re-exports it.
The bridge into ``prometheus_client`` lives in :mod:`srekit.prometheus_client` (import it
explicitly; ``prometheus_client`` stays an optional dependency).
"""

from srekit import _srekit
from srekit._files import Parser
from srekit._model import MetricFamily, Sample
from srekit._srekit import (
    Counter,
    CounterChild,
    ExpositionError,
    Gauge,
    GaugeChild,
    Host,
    HostError,
    Histogram,
    HistogramChild,
    LogParseError,
    MetricError,
    Registry,
    Summary,
    SummaryChild,
    __version__,
    all_collectors,
    collect_host,
    collect_host_text,
    content_type,
    default_collectors,
    is_valid_label_name,
    is_valid_metric_name,
    negotiate,
    parse_json,
    parse_logfmt,
    parse_ltsv,
    parse_regex,
    parse_text,
    sanitize_label_name,
    sanitize_metric_name,
)

__all__ = [
    "Counter",
    "CounterChild",
    "ExpositionError",
    "Gauge",
    "GaugeChild",
    "Host",
    "HostError",
    "Histogram",
    "HistogramChild",
    "LogParseError",
    "MetricError",
    "MetricFamily",
    "Parser",
    "Registry",
    "Sample",
    "Summary",
    "SummaryChild",
    "__version__",
    "all_collectors",
    "collect_host",
    "collect_host_text",
    "content_type",
    "default_collectors",
    "is_valid_label_name",
    "is_valid_metric_name",
    "negotiate",
    "parse_json",
    "parse_logfmt",
    "parse_ltsv",
    "parse_regex",
    "parse_text",
    "sanitize_label_name",
    "sanitize_metric_name",
]
