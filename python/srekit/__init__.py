"""srekit: host metrics, log parsing and Prometheus/OpenMetrics encoding from one Rust core.

Everything here is implemented in the native module ``srekit._srekit``; this file re-exports it.
The bridge into ``prometheus_client`` lives in :mod:`srekit.prometheus_client` (imported on demand,
so ``prometheus_client`` stays optional).
"""

from srekit._srekit import (
    __version__,
    is_valid_label_name,
    is_valid_metric_name,
    sanitize_label_name,
    sanitize_metric_name,
)

__all__ = [
    "__version__",
    "is_valid_label_name",
    "is_valid_metric_name",
    "sanitize_label_name",
    "sanitize_metric_name",
]
