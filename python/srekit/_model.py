"""Metric families as plain Python values: what ``collect_host()``, ``Registry.collect()`` and
``parse_text()`` return. Named tuples, so a sample unpacks as ``name, labels, value, timestamp``."""

from typing import Any, Dict, List, NamedTuple, Optional


class Sample(NamedTuple):
    """One sample: its full name (family name plus suffix such as ``_total`` or ``_bucket``),
    labels, value and optional timestamp (Unix seconds)."""

    name: str
    labels: Dict[str, str]
    value: float
    timestamp: Optional[float] = None


class MetricFamily(NamedTuple):
    """A metric family. ``name`` is the base name (a counter ``x`` has samples ``x_total``);
    ``type`` is the OpenMetrics type name (counter, gauge, histogram, gaugehistogram, summary,
    info, stateset, unknown)."""

    name: str
    type: str
    help: str
    unit: str
    samples: List[Sample]

    def to_dict(self) -> Dict[str, Any]:
        """The family as plain dicts and lists (JSON-ready apart from non-finite floats)."""
        return {
            "name": self.name,
            "type": self.type,
            "help": self.help,
            "unit": self.unit,
            "samples": [
                {"name": s.name, "labels": dict(s.labels), "value": s.value, "timestamp": s.timestamp}
                for s in self.samples
            ],
        }
