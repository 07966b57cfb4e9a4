// Types of `srekit/prom-client`: expose srekit's host metrics from a prom-client Registry.
import type { HostOptions, MetricFamily } from './index'

/** The part of prom-client's Registry the bridge uses (pass `require('prom-client').register` or a `new Registry()`). */
export interface PromClientRegistry {
  readonly contentType: string
  registerMetric(metric: unknown): void
  removeSingleMetric(name: string): void
  metrics(): Promise<string>
}

/** What the register functions return. */
export interface RegisteredFamilies {
  /** Names of the prom-client metrics added so far. */
  readonly names: string[]
  /** Removes them from the registry. */
  unregister(): void
}

/**
 * Adds srekit's host metrics (node_exporter names) to a prom-client Registry: `register.metrics()`
 * then includes them. One scrape runs one collection, off the main thread.
 * @example
 * const client = require('prom-client')
 * const { registerHostMetrics } = require('srekit/prom-client')
 * registerHostMetrics(client.register)
 * app.get('/metrics', async (req, res) => { res.set('Content-Type', client.register.contentType); res.end(await client.register.metrics()) })
 */
export declare function registerHostMetrics(register: PromClientRegistry, options?: HostOptions): RegisteredFamilies

/**
 * Adds the families `collect()` returns (any srekit source, e.g. `() => registry.gather()`) to a
 * prom-client Registry; `collect` runs once per scrape.
 */
export declare function registerFamilies(
  register: PromClientRegistry,
  collect: () => MetricFamily[] | Promise<MetricFamily[]>,
  initialFamilies: MetricFamily[],
): RegisteredFamilies

/** `register.metrics()` followed by srekit's host metrics, in the register's content type. */
export declare function metricsWithHost(register: PromClientRegistry, options?: HostOptions): Promise<string>
