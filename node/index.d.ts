// Type definitions for the npm package `srekit` (native, built with napi-rs from the Rust core).
//
// Numbers: log values that are integers beyond Number.MAX_SAFE_INTEGER (2^53 - 1) — JSON numbers or
// fields typed 'int' — come out as `bigint` so no digit is lost (u64 max, i64 min); every other number
// is a `number`. JSON.stringify throws on a bigint: convert it (e.g. with a replacer) if you serialise
// records. Metric values are always `number` (float64), as in the exposition formats.

/// <reference types="node" />

// ---------------------------------------------------------------------------------------------------
// Metric families (the shape host collection, Registry.gather and parseText return)

/** One sample line of a metric family. */
export interface MetricSample {
  /** Full sample name: the family name plus its suffix (`_total`, `_bucket`, `_sum`, ...). */
  name: string
  /** Label pairs in exposition order (`le` and `quantile` included). */
  labels: Record<string, string>
  /** The value; `Infinity`, `-Infinity` and `NaN` stand for `+Inf`, `-Inf`, `NaN`. */
  value: number
  /** Unix time in seconds, or `null` when the sample carries none. */
  timestamp: number | null
}

/** The OpenMetrics type names (`unknown` is `untyped` in text 0.0.4). */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown'

/** A metric family. A counter's `name` is its base name, without `_total`. */
export interface MetricFamily {
  name: string
  type: MetricType
  help: string
  /** OpenMetrics unit, `''` when none. */
  unit: string
  samples: MetricSample[]
}

/** Exposition formats: Prometheus text 0.0.4 (`'text'`, the default) or OpenMetrics 1.0. */
export type ExpositionFormat = 'text' | 'openmetrics'

// ---------------------------------------------------------------------------------------------------
// Errors
//
// Every error srekit throws for bad input is an `Error` with the core's message (the same text Python
// raises) and a `code`: `ERR_SREKIT_` followed by the core's stable code (Python's `err.code`) in
// upper case with `.` as `_`, e.g. `metric.duplicate` is `ERR_SREKIT_METRIC_DUPLICATE`.
// `exposition.parse` keeps its earlier code, `ERR_SREKIT_EXPOSITION`. (An argument of the wrong
// JavaScript type is napi-rs' own error, with codes such as `InvalidArg` or `StringExpected`.)

/** The `code` of an error srekit throws. */
export type SrekitErrorCode =
  | 'ERR_SREKIT_METRIC_INVALID_NAME'
  | 'ERR_SREKIT_METRIC_DUPLICATE'
  | 'ERR_SREKIT_METRIC_LABEL_MISMATCH'
  | 'ERR_SREKIT_METRIC_INVALID_BUCKETS'
  | 'ERR_SREKIT_METRIC_INVALID_VALUE'
  | 'ERR_SREKIT_METRIC_INVALID_EXEMPLAR'
  | 'ERR_SREKIT_EXPOSITION'
  | 'ERR_SREKIT_EXPOSITION_UNKNOWN_FORMAT'
  | 'ERR_SREKIT_LOG_LINE'
  | 'ERR_SREKIT_LOG_CONFIG'
  | 'ERR_SREKIT_CONFIG_INVALID'
  | 'ERR_SREKIT_HOST_UNKNOWN_COLLECTOR'
  | 'ERR_SREKIT_HOST_UNKNOWN_OPTION'
  | 'ERR_SREKIT_HOST_INVALID_OPTION'
  | 'ERR_SREKIT_HOST_IO'

/** An error srekit throws; `code` says what kind of input was wrong. */
export interface SrekitError extends Error {
  code: SrekitErrorCode
}

// ---------------------------------------------------------------------------------------------------
// Instrumentation registry
//
// Updates are buffered in JavaScript (a native call costs far more than an addition): `inc`, `dec`,
// `set` and `observe` record the change on the child, and the registry applies every pending change
// to the core before `encode()`, `gather()`, `get()`, `count()` and `sum()`. Invalid updates still
// throw at once. Fractional counter increments are summed before they reach the core, so a total can
// differ from a one-by-one sum in its last bit.

/**
 * A set of metrics encoded together as one exposition.
 * @example
 * const registry = new Registry()
 * const requests = registry.counter('http_requests_total', 'Requests served.', ['method', 'code'])
 * requests.labels('GET', '200').inc()
 * res.setHeader('Content-Type', contentType('text')); res.end(registry.encode())
 */
export declare class Registry {
  constructor()
  /** Registers a counter (name with or without `_total`). Throws on bad names or a duplicate. */
  counter(name: string, help: string, labelNames?: string[]): CounterVec
  /** Registers a gauge. */
  gauge(name: string, help: string, labelNames?: string[]): GaugeVec
  /** Registers a histogram; `buckets` are sorted finite upper bounds (`+Inf` implied), Prometheus' defaults when absent. */
  histogram(name: string, help: string, labelNames?: string[], buckets?: number[]): HistogramVec
  /** Registers a summary (count and sum, no quantiles). */
  summary(name: string, help: string, labelNames?: string[]): SummaryVec
  /** The exposition of every registered metric. Throws on an unknown format name. */
  encode(format?: ExpositionFormat): string
  /**
   * Answers a scrape: the body and Content-Type for the request's Accept header (absent when it had
   * none), format and name escaping (`escaping=underscores|dots|values|allow-utf-8`) negotiated as
   * srekit-exporter negotiates them.
   * @example
   * const { body, contentType } = registry.expose(req.headers.accept)
   * res.writeHead(200, { 'Content-Type': contentType }); res.end(body)
   */
  expose(accept?: string): Exposed
  /** A push body of every registered metric, stamped with the current time: `'remote_write'` (snappy-compressed `WriteRequest`) or `'otlp'` (`ExportMetricsServiceRequest` protobuf). Throws on another name. */
  encodePush(format: 'remote_write' | 'otlp'): Buffer
  /** The current values as metric families (counters include their `_created` samples). */
  gather(): MetricFamily[]
}

/** What `Registry.expose` answers a scrape with. */
export interface Exposed {
  /** The exposition text in the negotiated format. */
  body: string
  /** The response's Content-Type, e.g. `application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8`. */
  contentType: string
}

/** Label values: positional (label-name order; numbers are turned into strings) or one `{ name: value }` object. */
type LabelValues = Array<string | number> | [Record<string, string | number>]

/**
 * A counter with label names. `labels(...)` returns the child for those values, cached: the same
 * object every time. A counter without label names can be used directly (`inc()`, `get()`).
 */
export declare class CounterVec {
  labels(...values: LabelValues): Counter
  /** The child for these values, in label-name order (no cache: prefer `labels`). */
  labelValues(values: string[]): Counter
  /** The child for these `{ labelName: value }` pairs (no cache: prefer `labels`). */
  labelsByName(pairs: Record<string, string>): Counter
  /** Number of children (label sets). */
  seriesCount(): number
  /** Removes the child of these label values (positional or one object); true when it existed. */
  remove(...values: LabelValues): boolean
  /** Removes every child. */
  clear(): void
  /** `labels().inc(amount, exemplar)` for a counter without label names. */
  inc(amount?: number, exemplar?: Record<string, string>): void
  get(): number
}

/** One counter series. */
export declare class Counter {
  /**
   * Adds `amount` (1 by default). Throws on a negative or NaN amount. `exemplar` (e.g.
   * `{ trace_id: '...' }`) becomes the counter's latest OpenMetrics exemplar; the increment counts
   * even when the exemplar is refused (over 128 characters, a bad label name), which throws.
   */
  inc(amount?: number, exemplar?: Record<string, string>): void
  get(): number
}

/** A gauge with label names (see CounterVec). */
export declare class GaugeVec {
  labels(...values: LabelValues): Gauge
  labelValues(values: string[]): Gauge
  labelsByName(pairs: Record<string, string>): Gauge
  /** Number of children (label sets). */
  seriesCount(): number
  /** Removes the child of these label values (positional or one object); true when it existed. */
  remove(...values: LabelValues): boolean
  /** Removes every child. */
  clear(): void
  set(value: number): void
  inc(amount?: number): void
  dec(amount?: number): void
  get(): number
}

/** One gauge series. */
export declare class Gauge {
  set(value: number): void
  /** Adds `amount` (1 by default). */
  inc(amount?: number): void
  /** Subtracts `amount` (1 by default). */
  dec(amount?: number): void
  get(): number
}

/** A histogram with label names (see CounterVec). */
export declare class HistogramVec {
  labels(...values: LabelValues): Histogram
  labelValues(values: string[]): Histogram
  labelsByName(pairs: Record<string, string>): Histogram
  /** Number of children (label sets). */
  seriesCount(): number
  /** Removes the child of these label values (positional or one object); true when it existed. */
  remove(...values: LabelValues): boolean
  /** Removes every child. */
  clear(): void
  observe(value: number, exemplar?: Record<string, string>): void
  count(): number
  sum(): number
}

/** One histogram series. */
export declare class Histogram {
  /** Records one observation; `exemplar` becomes the latest exemplar of its bucket (see Counter.inc). */
  observe(value: number, exemplar?: Record<string, string>): void
  /** Number of observations. */
  count(): number
  /** Sum of observations. */
  sum(): number
}

/** A summary with label names (see CounterVec). */
export declare class SummaryVec {
  labels(...values: LabelValues): Summary
  labelValues(values: string[]): Summary
  labelsByName(pairs: Record<string, string>): Summary
  /** Number of children (label sets). */
  seriesCount(): number
  /** Removes the child of these label values (positional or one object); true when it existed. */
  remove(...values: LabelValues): boolean
  /** Removes every child. */
  clear(): void
  observe(value: number): void
  count(): number
  sum(): number
}

/** One summary series (count and sum). */
export declare class Summary {
  observe(value: number): void
  count(): number
  sum(): number
}

// ---------------------------------------------------------------------------------------------------
// Exposition text

/**
 * Parses Prometheus text 0.0.4 (or OpenMetrics, detected by its `# EOF`) into metric families.
 * Throws an `ExpositionError` (with `line` and `column`) on malformed input.
 */
export declare function parseText(text: string): MetricFamily[]
/** The HTTP Content-Type of a format (`'text'` by default). */
export declare function contentType(format?: ExpositionFormat): string
/** The format Prometheus gets for this Accept header. */
export declare function negotiate(accept: string): ExpositionFormat

/** Thrown by parseText. `message` is the core's, e.g. `line 2, column 12: expected ',' or '}' in the label set`. */
export interface ExpositionError extends SrekitError {
  code: 'ERR_SREKIT_EXPOSITION'
  /** 1-based line. */
  line: number
  /** 1-based column, in bytes. */
  column: number
}

// ---------------------------------------------------------------------------------------------------
// Host metrics

/**
 * Options of a host collection; every field is optional and defaults as node_exporter does. Besides
 * the roots and collector lists, one key per entry of `hostOptions()` (test/host.test.js checks they
 * agree); an unknown key throws.
 */
export interface HostOptions {
  /** Where procfs is mounted (`/proc`; node_exporter `--path.procfs`). Use `/host/proc` in a container. */
  procfs?: string
  /** Where sysfs is mounted (`/sys`). */
  sysfs?: string
  /** Where the root filesystem is mounted (`/`). */
  rootfs?: string
  /** udev's block device database (`/run/udev/data`). */
  udevData?: string
  /** Directory of `*.prom` files for the textfile collector. */
  textfileDirectory?: string
  /** Per-collector deadline in milliseconds (5000). */
  collectorTimeoutMs?: number
  /**
   * How long a path found absent (no `/sys/class/nvme`, no `/proc/mdstat`) is taken as still absent,
   * in milliseconds (10000; 0 probes on every collection; at most 3600000). A subsystem that appears
   * is reported at the latest this much later (exporter flag `--collector.absent-recheck`).
   */
  absentRecheckMs?: number
  /** Start from no collector instead of node_exporter's defaults. */
  disableDefaults?: boolean
  /** Collectors to add (see allHostCollectors()). */
  enable?: string[]
  /** Collectors to remove. */
  disable?: string[]
  /** Regex of block devices to drop (node_exporter `--collector.diskstats.device-exclude`; `''`: none). */
  diskstatsDeviceExclude?: string
  /** Regex of block devices to keep (`--collector.diskstats.device-include`). */
  diskstatsDeviceInclude?: string
  /** Regex of mount points to drop (`--collector.filesystem.mount-points-exclude`). */
  filesystemMountPointsExclude?: string
  /** Regex of filesystem types to drop (`--collector.filesystem.fs-types-exclude`). */
  filesystemFsTypesExclude?: string
  /** Regex of network devices to keep (`--collector.netdev.device-include`). */
  netdevDeviceInclude?: string
  /** Regex of network devices to drop (`--collector.netdev.device-exclude`, `^lo$`; `''`: none). */
  netdevDeviceExclude?: string
  /** Regex of network devices to keep in netclass. */
  netclassDeviceInclude?: string
  /** Regex of network devices to drop from netclass (`--collector.netclass.ignored-devices`). */
  netclassDeviceExclude?: string
  /** Skip invalid (negative) interface speeds (`--collector.netclass.ignore-invalid-speed`). */
  netclassIgnoreInvalidSpeed?: boolean
  /** Regex of /proc/vmstat fields to export (`--collector.vmstat.fields`). */
  vmstatFields?: string
  /** Regex of netstat/snmp fields to export (`--collector.netstat.fields`). */
  netstatFields?: string
  /** Export `node_cpu_guest_seconds_total` (`--collector.cpu.guest`, on by default). */
  cpuGuest?: boolean
  /** Regex of power supplies to drop (`--collector.powersupply.ignored-supplies`). */
  powersupplyIgnoredSupplies?: string
  /** Regex of tape devices to drop (`--collector.tapestats.ignored-devices`). */
  tapestatsIgnoredDevices?: string
  /** One `node_rapl_joules_total` family with a `rapl_zone` label (`--collector.rapl.enable-zone-label`). */
  raplZoneLabel?: boolean
  /** Regex of systemd units to keep, matched against the whole name (`--collector.systemd.unit-include`). */
  systemdUnitInclude?: string
  /** Regex of systemd units to drop (`--collector.systemd.unit-exclude`). */
  systemdUnitExclude?: string
  /** D-Bus address of the system bus, e.g. `unix:path=/host/run/dbus/system_bus_socket`. */
  systemdBusAddress?: string
  /** Read netdev and netclass from rtnetlink when the roots are `/proc` and `/sys` (on by default). */
  netlink?: boolean
  /** Export `node_softirqs_total{vector}` from the stat collector (`--collector.stat.softirq`). */
  statSoftirq?: boolean
  /** Export `node_cpu_info` from /proc/cpuinfo (`--collector.cpu.info`). */
  cpuInfo?: boolean
  /** Regex of CPU flags to export as `node_cpu_flag_info` (`--collector.cpu.info.flags-include`). */
  cpuInfoFlagsInclude?: string
  /** Regex of CPU bugs to export as `node_cpu_bug_info` (`--collector.cpu.info.bugs-include`). */
  cpuInfoBugsInclude?: string
  /** Numeric sysctls, separated by spaces: `name` or `name:key1,key2` (`--collector.sysctl.include`). */
  sysctlInclude?: string
  /** String sysctls to export as `node_sysctl_info`, separated by spaces (`--collector.sysctl.include-info`). */
  sysctlIncludeInfo?: string
  /** Largest `.prom` file the textfile collector reads, in bytes (64 MiB); a larger one is skipped with `node_textfile_scrape_error 1`. */
  textfileMaxFileBytes?: number
  /** Most bytes of `.prom` files read per collection (256 MiB); files beyond it are skipped with `node_textfile_scrape_error 1`. */
  textfileMaxTotalBytes?: number
  /** Regex of devices to keep in arp (`--collector.arp.device-include`). */
  arpDeviceInclude?: string
  /** Regex of devices to drop from arp (`--collector.arp.device-exclude`). */
  arpDeviceExclude?: string
  /** Export bcache's priority statistics, which walk every bucket (`--collector.bcache.priorityStats`). */
  bcachePriorityStats?: boolean
  /** Export `node_systemd_unit_tasks_{current,max}` for services (`--collector.systemd.enable-task-metrics`). */
  systemdEnableTaskMetrics?: boolean
  /** Export `node_systemd_service_restart_total` (`--collector.systemd.enable-restarts-metrics`). */
  systemdEnableRestartsMetrics?: boolean
  /** Export `node_systemd_unit_start_time_seconds` (`--collector.systemd.enable-start-time-metrics`). */
  systemdEnableStartTimeMetrics?: boolean
  /** Directory of node_exporter's qdisc test fixture (`results.json`) read instead of the kernel (`--collector.qdisc.fixtures`). */
  qdiscFixtures?: string
  /** Directory in node_exporter's wifi test fixture format, read by the wifi collector (`--collector.wifi.fixtures`). */
  wifiFixtures?: string
  /** Regex of devices to keep in ethtool (`--collector.ethtool.device-include`). */
  ethtoolDeviceInclude?: string
  /** Regex of devices to drop from ethtool (`--collector.ethtool.device-exclude`). */
  ethtoolDeviceExclude?: string
  /** Regex of ethtool statistics to export (`--collector.ethtool.metrics-include`, default `.*`). */
  ethtoolMetricsInclude?: string
  /** CPUs the perf collector counts on (`--collector.perf.cpus`, e.g. `0,2-4,8-16:4`; default: all). */
  perfCpus?: string
  /** perf tracepoints (`--collector.perf.tracepoint`): not supported, setting one is an error. */
  perfTracepoint?: string
  /** Open no hardware events (`--collector.perf.disable-hardware-profilers`). */
  perfDisableHardwareProfilers?: boolean
  /** Open no software events (`--collector.perf.disable-software-profilers`). */
  perfDisableSoftwareProfilers?: boolean
  /** Open no hardware cache events (`--collector.perf.disable-cache-profilers`). */
  perfDisableCacheProfilers?: boolean
  /** Hardware events to open, perf-utils' names separated by spaces (`--collector.perf.hardware-profilers`). */
  perfHardwareProfilers?: string
  /** Software events to open, e.g. `PageFault ContextSwitch` (`--collector.perf.software-profilers`). */
  perfSoftwareProfilers?: string
  /** Hardware cache events to open, e.g. `L1DataReadHit LLReadMiss` (`--collector.perf.cache-profilers`). */
  perfCacheProfilers?: string
}

/** One collection with the reason each failed collector failed (`HostCollector.collectReport()`). */
export interface HostReport {
  families: MetricFamily[]
  /** `{ collector: reason }` for each collector that reported `node_scrape_collector_success` 0. */
  failures: Record<string, string>
  /** The failed collectors that only found their optional subsystem absent (no NVMe, no NFS, ...). */
  noData: string[]
  /** Data dropped without failing a collector (a skipped textfile, ...), each naming its file. */
  warnings: string[]
}

/**
 * A host collector. It keeps one worker thread per collector and its read buffers between
 * collections: create one and reuse it. A collector that cannot read its files reports
 * `node_scrape_collector_success{collector="..."} 0` and the others go on.
 */
export declare class HostCollector {
  /** Throws on an unknown collector name or a bad option. */
  constructor(options?: HostOptions)
  /** Names of the enabled collectors. */
  collectors(): string[]
  /** One collection on the calling thread. */
  collect(): MetricFamily[]
  /** One collection on the calling thread with why each failed collector failed. */
  collectReport(): HostReport
  /** One collection on the calling thread, as exposition text. */
  collectText(format?: ExpositionFormat): string
  /** One collection on libuv's thread pool; the main thread stays free. */
  collectAsync(): Promise<MetricFamily[]>
  /** One collection on libuv's thread pool, as exposition text. */
  collectTextAsync(format?: ExpositionFormat): Promise<string>
  /** `collectReport()` on libuv's thread pool. */
  collectReportAsync(): Promise<HostReport>
}

/** Host metrics with node_exporter's names (one reused HostCollector per distinct options). */
export declare function collectHost(options?: HostOptions): MetricFamily[]
/** Host metrics as exposition text. */
export declare function collectHostText(options?: HostOptions, format?: ExpositionFormat): string
/** Host metrics collected off the main thread. Rejects on bad options. */
export declare function collectHostAsync(options?: HostOptions): Promise<MetricFamily[]>
/** Host metrics as exposition text, collected off the main thread. */
export declare function collectHostTextAsync(options?: HostOptions, format?: ExpositionFormat): Promise<string>
/** Every host collector srekit has. */
export declare function allHostCollectors(): string[]
/** The collectors enabled by default (node_exporter's Linux defaults). */
export declare function defaultHostCollectors(): string[]
/** One node_exporter collector option, as `hostOptions()` lists it. */
export interface HostOptionInfo {
  /** The key in `HostOptions` (`netdevDeviceExclude`). */
  name: string
  /** node_exporter's flag without dashes (`collector.netdev.device-exclude`). */
  flag: string
  type: 'string' | 'boolean' | 'number'
  /** The default (`null`: no filter). */
  default: string | boolean | number | null
  help: string
}
/** The node_exporter collector options `HostOptions` takes (the core's table). */
export declare function hostOptions(): HostOptionInfo[]

// ---------------------------------------------------------------------------------------------------
// Logs

/** A parsed log value: strings unless the format (JSON) or `types` say otherwise. */
export type LogValue = string | number | bigint | boolean | null | LogValue[] | { [key: string]: LogValue }

/** A parsed line: one property per key, the last duplicate winning. */
export type LogRecord = { [key: string]: LogValue }

/** Log formats: the built-in parsers and presets, or `'regex'` with `options.regex`. */
export type LogFormat =
  | 'logfmt'
  | 'ltsv'
  | 'json'
  | 'nginx'
  | 'nginx-combined'
  | 'nginx-common'
  | 'apache'
  | 'apache-combined'
  | 'apache-common'
  | 'syslog-rfc3164'
  | 'syslog-rfc5424'
  | 'regex'
  | 'raw'

/**
 * Parser options: the exporter's `[[inputs]]` keys and Python's `Parser(...)` keywords, in camelCase
 * (checked by the core: e.g. `regex` with a format other than `'regex'` throws).
 */
export interface LogParserOptions {
  /** Field -> type (Fluent Bit `Types`), e.g. `{ status: 'int', duration: 'float' }`. */
  types?: Record<string, 'int' | 'integer' | 'float' | 'bool' | 'string'>
  /** Field holding the record's time (Fluent Bit `Time_Key`). */
  timeKey?: string
  /** strptime-style format of that field (Fluent Bit `Time_Format`). */
  timeFormat?: string
  /** Replace invalid UTF-8 with U+FFFD instead of rejecting the line (default false). */
  lossyUtf8?: boolean
  /** Longer lines are rejected (default 1 MiB). */
  maxLineLength?: number
  /** The pattern, with named groups `(?<name>...)`, or a preset name (`'nginx'`, ...), when the format is `'regex'`. */
  regex?: string
  /**
   * The container runtime's envelope to unwrap first: CRI, docker json-file, or `'auto'` (decided from the
   * first line). Partial pieces are joined per stream; records get `stream` and `time`.
   */
  container?: 'cri' | 'docker' | 'auto'
  /** Multi-line events (after the envelope), joined across one `parseMany` call. */
  multiline?: MultilineOptions
}

/** How lines are grouped into one event: give `start` or `preset`. */
export interface MultilineOptions {
  /** A line matching this regex starts a new event; other lines continue the current one. */
  start?: string
  /** Stack traces as these runtimes print them continue the event before. */
  preset?: 'java' | 'python' | 'go'
  /** Most lines in one event (default 1000). */
  maxLines?: number
  /** An event with no new line for this long is emitted (default `'1s'`). */
  timeout?: string
}

/** A line that did not parse, in a batch or stream. */
export interface LineErrorInfo {
  /** 1-based line number in the data. */
  line: number
  /** 0-based byte offset in the line. */
  offset: number
  /** The core's message, e.g. `byte 8: unterminated quoted value`. */
  message: string
}

/** Thrown by `parse` / `parseEntry` / the one-line helpers on a bad line. */
export interface LogLineError extends SrekitError {
  code: 'ERR_SREKIT_LOG_LINE'
  /** 0-based byte offset of the problem in the line. */
  offset: number
}

/** What `parseManyEntries` returns. */
export interface ParsedEntries {
  /** The records of the lines that parsed, in order. */
  records: LogRecord[]
  /** One per record: seconds since the epoch from `timeKey` (or the preset's time field), `NaN` when none. */
  timestamps: Float64Array
  /** The lines that did not parse. */
  errors: LineErrorInfo[]
}

/** Options of `parseColumns`. */
export interface ColumnsOptions {
  /** Only these fields, as columns in this order (a column of nulls for a field no record has); by default every field, by first appearance. */
  fields?: string[]
  /** The number of the data's first line (default 1). */
  firstLine?: number
  /** The name of the line-number column (default `'line'`; prefixed with `_` if a field has that name), or `false` for none. */
  lineColumn?: string | false
  /** The name of a column of the records' timestamps (float64 seconds since the epoch, from `timeKey`); none by default. */
  timestampColumn?: string
}

/** Options of the streaming helpers. */
export interface ParseStreamOptions {
  /** Called for each line that did not parse (parsing goes on). */
  onError?: (error: LineErrorInfo) => void
  /** Lines longer than this are reported and skipped without being buffered whole (default: the parser's `maxLineLength`; a framed parser always uses its own, which bounds the joined message). */
  maxLineLength?: number
}

/**
 * A log parser for one format. Build one and reuse it.
 * @example
 * const parser = new Parser('logfmt', { types: { status: 'int' } })
 * const records = parser.parseMany(fs.readFileSync('app.log')) // one call for a whole buffer
 */
export declare class Parser {
  /** Throws on an unknown format, field type or time format, or a bad regex. */
  constructor(format: LogFormat, options?: LogParserOptions)
  /** The format's name. */
  readonly format: string
  /** Lines longer than this many bytes are not parsed (reported as errors). */
  readonly maxLineLength: number
  /**
   * Whether the parser joins lines (`container` or `multiline`): `parseStream` / `parseFile` then keep
   * the partial pieces and the open multi-line event from chunk to chunk (memory stays bounded by a
   * chunk and `maxLineLength`; the records are those of one `parseMany` over the whole input).
   */
  readonly framed: boolean
  /** Parses one line (a trailing `\n` or `\r\n` is ignored). Throws a `LogLineError`. */
  parse(line: string | Buffer): LogRecord
  /** Parses one line into its record and timestamp (seconds since the epoch, or `null`). */
  parseEntry(line: string | Buffer): { record: LogRecord; timestamp: number | null }
  /**
   * Parses every line of `data` in one call; bad lines are skipped and listed in `lastErrors`.
   * This is the fast path: use it for whole buffers or files.
   */
  parseMany(data: string | Buffer): LogRecord[]
  /**
   * Parses every line of `data` in one call into Arrow columns, returned as Arrow IPC stream bytes
   * (read them with `tableFromIPC` from `apache-arrow`). Columns: `line` (int64), then one per field
   * typed by `types` / JSON (int64, float64, bool, utf8; ints and floats make float64, other mixes
   * utf8), null where a record lacks the field. Bad lines are skipped and listed in `lastErrors`.
   * @example
   * const table = require('apache-arrow').tableFromIPC(parser.parseColumns(fs.readFileSync('app.log')))
   */
  parseColumns(data: string | Buffer, options?: ColumnsOptions): Buffer
  /** Internal: what parseColumns is built on (`ipc`: the bytes, `rows`, `errors`). */
  parseColumnsIpc(data: string | Buffer, options?: ColumnsOptions): { ipc: Buffer; rows: number; errors: LineErrorInfo[] }
  /** Like parseMany, with timestamps and errors returned. */
  parseManyEntries(data: string | Buffer): ParsedEntries
  /** The errors of the last parseMany or parseColumns call. */
  lastErrors?: LineErrorInfo[]
  /** Records from a readable stream (or any async iterable of Buffers / strings), in order. */
  parseStream(source: AsyncIterable<Buffer | string>, options?: ParseStreamOptions): AsyncGenerator<LogRecord, void, undefined>
  /** Records of a file, read in chunks. */
  parseFile(path: string, options?: ParseStreamOptions): AsyncGenerator<LogRecord, void, undefined>
  /**
   * Parses one line and returns the values at `paths`: `a.b.c` reaches into nested objects and
   * numbers index arrays (a key that itself contains dots is found whole first); `undefined` where
   * absent. Throws a `LogLineError` on a bad line.
   */
  extract(line: string | Buffer, paths: string[]): Array<LogValue | undefined>
  /** Internal: the columnar batch parseMany builds objects from. */
  parseManyBatch(data: string | Buffer): unknown
  /**
   * Internal: the batches of `data` in order, a large input parsed on a worker thread while the
   * caller builds objects; `next(scratch?)` returns a batch or `null` (pass the previous batch's
   * `scratch` back once done with it, to reuse its memory), `close()` stops the worker.
   */
  parseManyStream(data: string | Buffer): { next(scratch?: Uint32Array | null): unknown; close(): void }
}

/** Parses one logfmt line (go-logfmt rules). */
export declare function parseLogfmt(line: string | Buffer): LogRecord
/** Parses one LTSV line. */
export declare function parseLtsv(line: string | Buffer): LogRecord
/** Parses one JSON line (an object). Integers beyond 2^53 come out as bigint. */
export declare function parseJson(line: string | Buffer): LogRecord
/** Parses one line with a regex of named groups or a preset name such as `'nginx'` (parsers are cached in the core). */
export declare function parseRegex(line: string | Buffer, patternOrPreset: string): LogRecord

// ---------------------------------------------------------------------------------------------------
// Log -> metrics rules

/** One rule, with the exporter's `[[metrics]]` config keys (as Fluent Bit's log_to_metrics). */
export interface LogRuleConfig {
  /** Metric name (counters with or without `_total`). */
  name: string
  help?: string
  kind: 'counter' | 'gauge' | 'histogram'
  /** Inputs the rule applies to (all when empty). */
  inputs?: string[]
  /** Field names (label = the field name made valid) or `{ label: 'field.path' }`. */
  labels?: string[] | Record<string, string>
  /** Field -> regex: all must match. */
  match?: Record<string, string>
  /** Field -> regex: records matching any are skipped. */
  exclude?: Record<string, string>
  /** The numeric field a gauge sets, a histogram observes, a counter adds (else it counts records). */
  value?: string
  /** Multiplies `value` (e.g. 0.001 for milliseconds -> seconds). */
  scale?: number
  /** Histogram upper bounds. */
  buckets?: number[]
  /** Field holding a trace id: the latest one becomes an OpenMetrics exemplar. */
  exemplar?: string
  /** Series cap per rule (10,000): records for new label sets beyond it are dropped and counted. */
  max_series?: number
  /** Longest label value in bytes (1024): a record with a longer one is skipped and counted (`reason="label_too_long"`). */
  max_label_value_length?: number
  /** Budget in bytes for the label values of the rule's live series (8 MiB): new label sets beyond it are dropped and counted (`reason="max_series_bytes"`). */
  max_series_bytes?: number
  /** Prometheus-style relabel steps on the record's fields, before matching and labels. */
  relabel?: Array<{
    source_fields?: string[]
    separator?: string
    /** Fully anchored. */
    regex?: string
    target?: string
    /** `$1`, `${name}` (default `$1`). */
    replacement?: string
    action?: 'replace' | 'keep' | 'drop' | 'lowercase' | 'uppercase'
  }>
  /** A series no record updated for this long (`'5m'`) is removed and frees its slot. */
  expire_after?: string
  /** Constant labels on every series. */
  const_labels?: Record<string, string>
}

/**
 * The exporter's log pipeline in-process: `inputs`, `metrics` and `state` with the exporter's config
 * keys (snake_case, as in its TOML); its metrics go to `registry`.
 * @example
 * const pipeline = new Pipeline(registry, { inputs: [{ name: 'k8s', paths: ['/var/log/containers/*.log'], container: 'auto', kubernetes: true, format: 'json' }], metrics: [...] }).start()
 * process.on('SIGTERM', () => pipeline.stop())
 */
export declare class Pipeline {
  constructor(registry: Registry, config: { inputs?: object[]; metrics?: LogRuleConfig[]; state?: { directory?: string } })
  /** Reads what is new once (not while started). */
  poll(): { lines: number; bytes: number; parseErrors: number }
  /** Runs the pipeline on a background thread (new lines show up within a second). */
  start(): this
  /** Stops it: a last read, then the checkpoints are written. Safe to call again. */
  stop(): void
  /** Read and checkpoint errors of the background thread (the latest 100). */
  errors(): string[]
}

/**
 * Log -> metrics rules bound to a Registry: registers each rule's metric plus
 * `srekit_log_series_dropped_total` and `srekit_log_records_skipped_total` (one LogRules per registry).
 * Throws on an invalid rule (unknown key or kind, bad regex, missing `value`).
 * @example
 * const rules = new LogRules(registry, [{ name: 'http_requests_total', help: 'Requests.', kind: 'counter', labels: ['status'] }])
 * rules.applyLines(new Parser('logfmt'), fs.readFileSync('app.log'))
 * registry.encode('openmetrics')   // includes exemplars
 */
export declare class LogRules {
  constructor(registry: Registry, rules: LogRuleConfig[], options?: { input?: string })
  /** Number of rules. */
  readonly size: number
  /** Parses each line of `data` with `parser` (in Rust, no objects built) and applies the rules. */
  applyLines(parser: Parser, data: string | Buffer): { records: number; errors: LineErrorInfo[] }
  /** Applies the rules to every line of a readable stream (or async iterable of Buffers / strings). */
  applyStream(parser: Parser, source: AsyncIterable<Buffer | string>, options?: ParseStreamOptions): Promise<{ records: number; errors: number }>
  /** Applies the rules to every line of a file, read in chunks. */
  applyFile(parser: Parser, path: string, options?: ParseStreamOptions): Promise<{ records: number; errors: number }>
}

// ---------------------------------------------------------------------------------------------------
// Names

/** True for a valid Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`). */
export declare function isValidMetricName(name: string): boolean
/** True for a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`). */
export declare function isValidLabelName(name: string): boolean
/** Turns arbitrary text (a log field, a device name) into a valid metric name. */
export declare function sanitizeMetricName(name: string): string
/** Turns arbitrary text into a valid label name. */
export declare function sanitizeLabelName(name: string): string
