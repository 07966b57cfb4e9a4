"""Type stubs for srekit (the native module srekit._srekit plus the pure-Python model types)."""

import os
from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union, final, overload

from typing_extensions import Unpack


__all__ = [
    "ConfigError",
    "Counter",
    "CounterChild",
    "ExpositionError",
    "Gauge",
    "GaugeChild",
    "Host",
    "HostReport",
    "HostError",
    "Histogram",
    "HistogramChild",
    "LogColumns",
    "LogParseError",
    "MetricError",
    "MetricFamily",
    "Parser",
    "Pipeline",
    "Registry",
    "Rules",
    "Sample",
    "SrekitError",
    "Summary",
    "SummaryChild",
    "__version__",
    "all_collectors",
    "collect_host",
    "collect_host_text",
    "content_type",
    "default_collectors",
    "host_options",
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

__version__: str

_FormatName = Literal["text", "openmetrics"]
_TextInput = Union[str, bytes, bytearray]

# ---- metric families (srekit._model) ----

from srekit._model import MetricFamily as MetricFamily
from srekit._model import Sample as Sample

# ---- errors (all ValueError subclasses) ----

class SrekitError(ValueError):
    """Base of every srekit error. ``code`` is the stable code of the kind of failure, the same in
    Rust (``srekit::error::codes``) and Node (``err.code`` as ``ERR_SREKIT_...``)."""

    code: str

class MetricError(SrekitError):
    """``code``: ``metric.invalid_name``, ``metric.duplicate``, ``metric.label_mismatch``,
    ``metric.invalid_buckets``, ``metric.invalid_value`` or ``metric.invalid_exemplar``."""

class ExpositionError(SrekitError):
    """Bad exposition text; ``code`` is ``exposition.parse``."""

    line: int
    column: int

class LogParseError(SrekitError):
    """A log line that does not parse; ``code`` is ``log.line``."""

    offset: int
    line: Optional[int]

class HostError(SrekitError):
    """``code``: ``host.unknown_collector``, ``host.unknown_option``, ``host.invalid_option`` or ``host.io``."""

class ConfigError(SrekitError):
    """Invalid options or configuration; ``code``: ``log.config`` (log parser options),
    ``config.invalid`` (log -> metrics rules) or ``exposition.unknown_format`` (a format name)."""

# ---- names ----

def is_valid_metric_name(name: str) -> bool: ...
def is_valid_label_name(name: str) -> bool: ...
def sanitize_metric_name(name: str) -> str: ...
def sanitize_label_name(name: str) -> str: ...

# ---- registry ----

@final
class CounterChild:
    def inc(self, amount: float = 1.0, exemplar: Optional[Dict[str, str]] = None) -> None: ...
    def get(self) -> float: ...

@final
class Counter:
    def labels(self, *values: object, **names: object) -> CounterChild: ...
    def remove(self, *values: object, **names: object) -> bool: ...
    def clear(self) -> None: ...
    def series_count(self) -> int: ...
    def inc(self, amount: float = 1.0, exemplar: Optional[Dict[str, str]] = None) -> None: ...
    def get(self) -> float: ...

@final
class GaugeChild:
    def set(self, value: float) -> None: ...
    def inc(self, amount: float = 1.0) -> None: ...
    def dec(self, amount: float = 1.0) -> None: ...
    def get(self) -> float: ...

@final
class Gauge:
    def labels(self, *values: object, **names: object) -> GaugeChild: ...
    def remove(self, *values: object, **names: object) -> bool: ...
    def clear(self) -> None: ...
    def series_count(self) -> int: ...
    def set(self, value: float) -> None: ...
    def inc(self, amount: float = 1.0) -> None: ...
    def dec(self, amount: float = 1.0) -> None: ...
    def get(self) -> float: ...

@final
class HistogramChild:
    def observe(self, value: float, exemplar: Optional[Dict[str, str]] = None) -> None: ...
    def count(self) -> int: ...
    def sum(self) -> float: ...

@final
class Histogram:
    def labels(self, *values: object, **names: object) -> HistogramChild: ...
    def remove(self, *values: object, **names: object) -> bool: ...
    def clear(self) -> None: ...
    def series_count(self) -> int: ...
    def observe(self, value: float, exemplar: Optional[Dict[str, str]] = None) -> None: ...

@final
class SummaryChild:
    def observe(self, value: float) -> None: ...
    def count(self) -> int: ...
    def sum(self) -> float: ...

@final
class Summary:
    def labels(self, *values: object, **names: object) -> SummaryChild: ...
    def remove(self, *values: object, **names: object) -> bool: ...
    def clear(self) -> None: ...
    def series_count(self) -> int: ...
    def observe(self, value: float) -> None: ...

@final
class Registry:
    def __init__(self) -> None: ...
    def counter(self, name: str, help: str, labelnames: Sequence[str] = ...) -> Counter: ...
    def gauge(self, name: str, help: str, labelnames: Sequence[str] = ...) -> Gauge: ...
    def histogram(
        self, name: str, help: str, labelnames: Sequence[str] = ..., buckets: Optional[Sequence[float]] = None
    ) -> Histogram: ...
    def summary(self, name: str, help: str, labelnames: Sequence[str] = ...) -> Summary: ...
    def encode(self, format: Union[_FormatName, Literal["remote_write", "otlp"]] = "text") -> bytes:
        """The exposition ("text", "openmetrics") or a push body: "remote_write" (snappy-compressed
        WriteRequest) or "otlp" (ExportMetricsServiceRequest protobuf), stamped with the current time."""
        ...
    def expose(self, accept: Optional[str] = None) -> Tuple[bytes, str]:
        """Answers a scrape: (body, content_type) for the request's Accept header (None when it had
        none), format and name escaping negotiated as srekit-exporter negotiates them."""
        ...
    def collect(self) -> List[MetricFamily]: ...

# ---- exposition formats ----

def parse_text(text: _TextInput) -> List[MetricFamily]: ...
def negotiate(accept: str) -> _FormatName: ...
def content_type(format: _FormatName) -> str: ...

# ---- host ----

_PathArg = Union[str, "os.PathLike[str]"]

class _HostOptions(TypedDict, total=False):
    """node_exporter's collector flags as keywords (`--collector.netdev.device-exclude` is
    `netdev_device_exclude`); `None` keeps the default. One key per entry of `host_options()`
    (tests/test_host.py checks they agree)."""

    diskstats_device_exclude: Optional[str]
    diskstats_device_include: Optional[str]
    filesystem_mount_points_exclude: Optional[str]
    filesystem_fs_types_exclude: Optional[str]
    netdev_device_include: Optional[str]
    netdev_device_exclude: Optional[str]
    netclass_device_include: Optional[str]
    netclass_device_exclude: Optional[str]
    netclass_ignore_invalid_speed: Optional[bool]
    vmstat_fields: Optional[str]
    netstat_fields: Optional[str]
    cpu_guest: Optional[bool]
    powersupply_ignored_supplies: Optional[str]
    tapestats_ignored_devices: Optional[str]
    rapl_zone_label: Optional[bool]
    systemd_unit_include: Optional[str]
    systemd_unit_exclude: Optional[str]
    systemd_bus_address: Optional[str]
    netlink: Optional[bool]
    stat_softirq: Optional[bool]
    cpu_info: Optional[bool]
    cpu_info_flags_include: Optional[str]
    cpu_info_bugs_include: Optional[str]
    sysctl_include: Optional[str]
    sysctl_include_info: Optional[str]
    textfile_max_file_bytes: Optional[int]
    textfile_max_total_bytes: Optional[int]
    arp_device_include: Optional[str]
    arp_device_exclude: Optional[str]
    bcache_priority_stats: Optional[bool]
    systemd_enable_task_metrics: Optional[bool]
    systemd_enable_restarts_metrics: Optional[bool]
    systemd_enable_start_time_metrics: Optional[bool]
    qdisc_fixtures: Optional[str]
    wifi_fixtures: Optional[str]
    ethtool_device_include: Optional[str]
    ethtool_device_exclude: Optional[str]
    ethtool_metrics_include: Optional[str]
    perf_cpus: Optional[str]
    perf_tracepoint: Optional[str]
    perf_disable_hardware_profilers: Optional[bool]
    perf_disable_software_profilers: Optional[bool]
    perf_disable_cache_profilers: Optional[bool]
    perf_hardware_profilers: Optional[str]
    perf_software_profilers: Optional[str]
    perf_cache_profilers: Optional[str]

@final
class HostReport:
    """One collection: families, {collector: reason} failures, the no-data subset, warnings."""
    @property
    def families(self) -> List[MetricFamily]: ...
    @property
    def failures(self) -> Dict[str, str]: ...
    @property
    def no_data(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    def __iter__(self) -> Iterator[Union[List[MetricFamily], Dict[str, str]]]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: Literal[0, -2], /) -> List[MetricFamily]: ...
    @overload
    def __getitem__(self, index: Literal[1, -1], /) -> Dict[str, str]: ...

@final
class Host:
    def __new__(
        cls,
        collectors: Optional[Sequence[str]] = None,
        procfs: _PathArg = ...,  # "/proc"
        sysfs: _PathArg = ...,  # "/sys"
        rootfs: _PathArg = ...,  # "/"
        textfile_directory: Optional[_PathArg] = None,
        udev_data: Optional[_PathArg] = None,
        *,
        collector_timeout: Optional[float] = None,  # seconds per collector, > 0 (default 5)
        absent_recheck: Optional[float] = None,  # seconds an absent path stays absent, 0-3600 (default 10)
        **options: Unpack[_HostOptions],
    ) -> Host: ...
    @property
    def collectors(self) -> List[str]: ...
    def collect(self) -> List[MetricFamily]: ...
    def collect_report(self) -> HostReport: ...
    def collect_text(self, format: _FormatName = "text") -> bytes: ...

def collect_host(
    collectors: Optional[Sequence[str]] = None,
    procfs: _PathArg = ...,  # "/proc"
    sysfs: _PathArg = ...,  # "/sys"
    rootfs: _PathArg = ...,  # "/"
    textfile_directory: Optional[_PathArg] = None,
    udev_data: Optional[_PathArg] = None,
    *,
    collector_timeout: Optional[float] = None,  # seconds per collector, > 0 (default 5)
    absent_recheck: Optional[float] = None,  # seconds an absent path stays absent, 0-3600 (default 10)
    **options: Unpack[_HostOptions],
) -> List[MetricFamily]: ...
def collect_host_text(
    format: _FormatName = "text",
    collectors: Optional[Sequence[str]] = None,
    procfs: _PathArg = ...,  # "/proc"
    sysfs: _PathArg = ...,  # "/sys"
    rootfs: _PathArg = ...,  # "/"
    textfile_directory: Optional[_PathArg] = None,
    udev_data: Optional[_PathArg] = None,
    *,
    collector_timeout: Optional[float] = None,  # seconds per collector, > 0 (default 5)
    absent_recheck: Optional[float] = None,  # seconds an absent path stays absent, 0-3600 (default 10)
    **options: Unpack[_HostOptions],
) -> bytes: ...
def all_collectors() -> List[str]: ...
def default_collectors() -> List[str]: ...

class _HostOptionInfo(TypedDict):
    name: str
    flag: str
    type: Literal["str", "bool"]
    default: Union[str, bool, None]
    help: str

def host_options() -> List[_HostOptionInfo]: ...

# ---- logs ----

_Record = Dict[str, Any]

def parse_logfmt(line: _TextInput) -> _Record: ...
def parse_ltsv(line: _TextInput) -> _Record: ...
def parse_json(line: _TextInput) -> _Record: ...
def parse_regex(line: _TextInput, pattern_or_preset: str) -> _Record: ...

class Parser:
    def __new__(
        cls,
        format: str,
        *,
        regex: Optional[str] = None,
        types: Optional[Mapping[str, str]] = None,
        time_key: Optional[str] = None,
        time_format: Optional[str] = None,
        timestamp_field: Optional[str] = None,
        lossy_utf8: bool = False,
        max_line_length: Optional[int] = None,
        pattern: Optional[str] = None,  # deprecated: the old name of `regex`
        container: Optional[str] = None,
        multiline: Optional[Mapping[str, Union[str, int]]] = None,
    ) -> Parser: ...
    @property
    def format(self) -> str: ...
    @property
    def max_line_length(self) -> int: ...
    @property
    def framed(self) -> bool: ...
    def parse(self, line: _TextInput) -> _Record: ...
    def parse_many(
        self,
        data: _TextInput,
        *,
        errors: Optional[List[LogParseError]] = None,
        strict: bool = False,
        first_line: int = 1,
    ) -> List[_Record]: ...
    def parse_arrow(
        self,
        data: _TextInput,
        *,
        fields: Optional[Sequence[str]] = None,
        strict: bool = False,
        first_line: int = 1,
        line_column: Optional[str] = "line",
    ) -> LogColumns: ...
    def parse_file(
        self,
        path: _PathArg,
        *,
        errors: Optional[List[LogParseError]] = None,
        strict: bool = False,
        chunk_size: int = 1048576,
    ) -> Iterator[_Record]: ...

@final
class LogColumns:
    """Parsed lines as Arrow columns (``Parser.parse_arrow``): pass it to ``pyarrow.table``,
    ``polars.DataFrame`` or any consumer of the Arrow PyCapsule interface."""

    @property
    def errors(self) -> List[LogParseError]: ...
    @property
    def num_rows(self) -> int: ...
    @property
    def column_names(self) -> List[str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def __arrow_c_array__(self, requested_schema: Optional[object] = None) -> Tuple[object, object]: ...

# ---- log -> metrics rules ----

_Outcome = Literal["updated", "not_matched", "skipped_value", "dropped_series", "skipped_label_too_long"]

@final
class Pipeline:
    """The exporter's log pipeline (TOML `[[inputs]]`, `[[metrics]]`, `[state]`) run in-process."""

    def __new__(cls, toml: str, *, registry: Optional[Registry] = None) -> Pipeline: ...
    @property
    def registry(self) -> Registry: ...
    def poll(self) -> Dict[str, int]: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def errors(self) -> List[str]: ...
    def __enter__(self) -> Pipeline: ...
    def __exit__(self, *args: Any) -> bool: ...

@final
class Rules:
    def __new__(
        cls,
        rules: Optional[Sequence[Mapping[str, Any]]] = None,
        *,
        toml: Optional[str] = None,
        registry: Optional[Registry] = None,
    ) -> Rules: ...
    @property
    def registry(self) -> Registry: ...
    def apply(
        self, record: Mapping[str, Any], input: Optional[str] = None, timestamp: Optional[float] = None
    ) -> List[_Outcome]: ...
    def apply_lines(
        self,
        parser: Parser,
        data: _TextInput,
        *,
        input: Optional[str] = None,
        errors: Optional[List[LogParseError]] = None,
    ) -> int: ...
    def encode(self, format: _FormatName = "text") -> bytes: ...
