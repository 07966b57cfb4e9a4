"""Bridge into ``prometheus_client``: srekit's metrics served by an existing prometheus_client app.

    from prometheus_client import REGISTRY, start_http_server
    from srekit.prometheus_client import HostCollector

    REGISTRY.register(HostCollector())   # node_exporter's host metrics, no other agent
    start_http_server(8000)

``RegistryCollector(registry)`` does the same for a :class:`srekit.Registry`. Both are collectors
in prometheus_client's sense (``collect()`` yields ``prometheus_client.Metric`` values, freshly
read on every scrape). ``describe()`` returns nothing, so registering costs no collection; the
families srekit produces (``node_*``) do not clash with prometheus_client's own collectors.
"""

from typing import Any, Iterable, Iterator, List, Optional, Sequence, Union

from prometheus_client.metrics_core import Metric

import srekit
from srekit._model import MetricFamily

__all__ = ["HostCollector", "RegistryCollector", "to_prometheus_client"]


def to_prometheus_client(families: Iterable[MetricFamily]) -> Iterator[Metric]:
    """Converts srekit metric families into ``prometheus_client`` ``Metric`` values."""
    for family in families:
        # prometheus_client insists that a unit is the name's suffix; srekit families keep the unit
        # separately, so pass it only when prometheus_client accepts it.
        unit = family.unit if family.unit and family.name.endswith("_" + family.unit) else ""
        metric = Metric(family.name, family.help, family.type, unit=unit)
        for sample in family.samples:
            metric.add_sample(sample.name, sample.labels, sample.value, sample.timestamp)
        yield metric


class HostCollector:
    """Host metrics (node_exporter's names) collected by srekit on every scrape.

    Arguments are those of :func:`srekit.collect_host`: ``collectors`` (None for the defaults),
    the roots ``procfs``, ``sysfs`` and ``rootfs`` (``/host/proc`` and so on in a container),
    ``textfile_directory`` and ``udev_data``, and node_exporter's collector options as keywords
    (``netdev_device_exclude="^(lo|veth.*)$"``, ``rapl_zone_label=True``, ...).
    """

    def __init__(
        self,
        collectors: Optional[Sequence[str]] = None,
        procfs: str = "/proc",
        sysfs: str = "/sys",
        rootfs: str = "/",
        textfile_directory: Optional[str] = None,
        udev_data: Optional[str] = None,
        **options: Union[str, bool, None],
    ) -> None:
        # Built once (a bad collector name or option fails here, not at the first scrape) and
        # reused, so the core keeps its worker threads and buffers across scrapes.
        self._host = srekit.Host(collectors, procfs, sysfs, rootfs, textfile_directory, udev_data,
                                 **options)  # type: ignore[arg-type]

    def collect(self) -> Iterator[Metric]:
        return to_prometheus_client(self._host.collect())

    def describe(self) -> List[Any]:
        return []


class RegistryCollector:
    """The metrics of a :class:`srekit.Registry`, read on every scrape."""

    def __init__(self, registry: "srekit.Registry") -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        return to_prometheus_client(self._registry.collect())

    def describe(self) -> List[Any]:
        return []
