//! `srekit-exporter`: serves host metrics (node_exporter's names) and log-derived metrics on `/metrics`.
//! With no arguments it serves on `:9100/metrics`; `collect` prints one scrape and exits.

mod basic_auth;
mod cli;
mod collect_filter;
mod config;
mod flag_values;
mod host_log;
mod live_outputs;
mod logging;
mod memory;
mod outputs;
mod parse_cmd;
mod process_metrics;
mod reload;
mod scrape;
mod server;
mod systemd_socket;
mod web_config;

use std::process::ExitCode;
use std::sync::Arc;

use cli::Commands;
use config::ExporterConfig;
use srekit::expfmt::Format;
use srekit::host::HostCollector;
use srekit::metrics::Registry;

/// Prints `srekit-exporter: <message>` and returns `code`.
fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("srekit-exporter: {message}");
    ExitCode::from(code)
}

/// A root that is not what its flag says (a typo in `--path.procfs` makes every procfs collector
/// report success 0) is said once at startup, instead of only as scrape metrics.
fn warn_about_roots(flags: &cli::HostFlags) {
    for (flag, root, probe) in [
        ("--path.procfs", &flags.procfs, "stat"),
        ("--path.sysfs", &flags.sysfs, "class"),
        ("--path.rootfs", &flags.rootfs, ""),
    ] {
        if !root.join(probe).exists() {
            let what = if probe.is_empty() { String::new() } else { format!(" (no {probe} in it)") };
            log::warn!(
                "{flag}={} does not look right{what}: collectors reading it will report success 0",
                root.display()
            );
        }
    }
}

fn main() -> ExitCode {
    let (cli, matches) = cli::parse();
    logging::init(cli.log_level, cli.log_format);
    match &cli.command {
        Some(Commands::Parse(args)) => return parse_cmd::run(args),
        Some(Commands::Check(args)) => return check(&cli, args),
        _ => {}
    }
    // Before the host collector starts its threads: they take their malloc arenas at once.
    memory::tune_malloc();
    let config = match &cli.config_file {
        Some(path) => match ExporterConfig::load(path) {
            Ok(config) => Some(config),
            Err(message) => return fail(2, message),
        },
        None => None,
    };
    warn_about_roots(&cli.host);
    let host = match cli::host_config(&cli.host, &matches).and_then(HostCollector::new) {
        Ok(host) => host,
        Err(err) => return fail(2, err),
    };
    let exporter_registry = Registry::new();
    let self_metrics = match scrape::SelfMetrics::register(&exporter_registry) {
        Ok(metrics) => metrics,
        Err(err) => return fail(1, err),
    };
    let exporter_metrics = !cli.web.disable_exporter_metrics;
    let scraper =
        scrape::Scraper::new(Some(host), Registry::new(), exporter_registry, self_metrics, exporter_metrics);
    match &cli.command {
        Some(Commands::Collect { format }) => {
            let format = match format.parse::<Format>() {
                Ok(format) => format,
                Err(err) => return fail(2, err),
            };
            use std::io::Write;
            let body = scraper.scrape(format);
            if std::io::stdout().write_all(&body).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        _ => serve(&cli, config, scraper),
    }
}

/// `check FILE` or `check --config.file FILE`: validate and report.
fn check(cli: &cli::Cli, args: &cli::CheckArgs) -> ExitCode {
    let path = match (&args.file, &cli.config_file) {
        (Some(file), Some(flag)) if file != flag => {
            return fail(2, "check takes one config file: FILE or --config.file FILE, not both")
        }
        (Some(path), _) | (None, Some(path)) => path,
        (None, None) => return fail(2, "check needs a config file: check FILE (or --config.file FILE)"),
    };
    let config = match ExporterConfig::load(path) {
        Ok(config) => config,
        Err(message) => return fail(1, message),
    };
    match config.validate(path) {
        Ok(()) => {
            if let Some(dir) = config.state.directory.as_ref().filter(|dir| !dir.exists()) {
                log::warn!(
                    "{}: [state] directory {} does not exist; the exporter will create it at start",
                    path.display(),
                    dir.display()
                );
            }
            let outputs = match config.outputs.len() {
                0 => String::new(),
                n => format!(", {n} outputs"),
            };
            println!(
                "{}: ok ({} inputs, {} metrics{outputs})",
                path.display(),
                config.inputs.len(),
                config.metrics.len()
            );
            ExitCode::SUCCESS
        }
        Err(message) => fail(1, message),
    }
}

/// Raises the soft open-file limit to the hard limit (as Go programs such as node_exporter do), so
/// many idle or slow clients cannot exhaust descriptors before the read timeout closes them.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

fn serve(cli: &cli::Cli, config: Option<ExporterConfig>, scraper: scrape::Scraper) -> ExitCode {
    raise_open_file_limit();
    let web_config_file =
        cli.web.web_config_file.clone().or_else(|| config.as_ref()?.web.config_file.clone());
    let web = match &web_config_file {
        Some(path) => match web_config::WebConfig::load(path) {
            Ok(web) => web,
            Err(err) => return fail(2, format!("--web.config.file: {err}")),
        },
        None => web_config::WebConfig::none(),
    };
    let outputs = match &config {
        Some(config) => match config.outputs() {
            Ok(outputs) => outputs,
            Err(message) => return fail(2, message),
        },
        None => Vec::new(),
    };
    let serve_web = config.as_ref().and_then(|c| c.web.serve).unwrap_or(true);
    if !serve_web && outputs.is_empty() {
        return fail(2, "--config.file: [web] serve = false needs at least one [[outputs]]");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(memory::ASYNC_WORKERS)
        .max_blocking_threads(memory::scrape_threads())
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(1, format!("cannot start the runtime: {err}")),
    };
    // Bound before anything starts: a port in use (or any bind error) ends the process with that
    // message alone, as nothing ran that would need shutting down.
    let listeners = match serve_web {
        false => None,
        true if cli.web.systemd_socket => match runtime.block_on(async { systemd_socket::listeners() }) {
            Ok(listeners) => Some(listeners),
            Err(err) => return fail(1, format!("--web.systemd-socket: {err}")),
        },
        true => match runtime.block_on(server::bind(&cli.web.listen_address)) {
            Ok(listener) => Some(vec![listener]),
            Err(err) => return fail(1, format!("cannot listen on {}: {err}", cli.web.listen_address)),
        },
    };
    let scraper = Arc::new(scraper);
    let web = match web_config::LiveWeb::new(web, scraper.exporter_registry()) {
        Ok(web) => Arc::new(web),
        Err(err) => return fail(1, err),
    };
    let reloader = match reload::Reloader::start(
        cli.config_file.clone(),
        config.as_ref(),
        scraper.clone(),
        (cli.web.web_config_file.clone(), web.clone()),
        (runtime.handle().clone(), outputs),
    ) {
        Ok(reloader) => reloader,
        Err(err) => return fail(err.code, err.message),
    };
    let (reload_requests, reload_thread) = match reloader.spawn() {
        Ok(spawned) => spawned,
        Err(err) => return fail(1, format!("cannot start the reload thread: {err}")),
    };
    let settings = server::ServerSettings {
        telemetry_path: cli.web.telemetry_path.clone(),
        max_requests: cli.web.max_requests as usize,
        max_connections: cli.web.max_connections as usize,
        read_timeout: cli.web.read_timeout,
        write_timeout: cli.web.write_timeout,
        reload: cli.web.enable_lifecycle.then(|| reload_requests.clone()),
    };
    let served = runtime.block_on(async {
        if let Err(err) = reload::reload_on_sighup(reload_requests.clone()) {
            log::warn!("cannot handle SIGHUP, reload only with POST /-/reload: {err}");
        }
        let Some(listeners) = listeners else {
            log::info!("push only: [web] serve = false");
            server::shutdown_signal().await;
            return ExitCode::SUCCESS;
        };
        for address in listeners.iter().filter_map(|listener| listener.local_addr().ok()) {
            log::info!("listening on {address}, metrics at {}", settings.telemetry_path);
        }
        // On a runtime worker, not on this thread (block_on's): a connection's task is then spawned
        // onto the worker that accepted it, instead of each accept waking a worker from here.
        let serving =
            tokio::spawn(server::serve(listeners, scraper, settings, web, server::shutdown_signal()));
        match serving.await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                log::error!("the HTTP server stopped: {err}");
                ExitCode::from(1)
            }
        }
    });
    // The last poll and the tail checkpoint are written before the process exits.
    let _ = reload_requests.send(reload::Request::Stop);
    match reload_thread.join() {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            log::error!("log pipeline: could not store checkpoints at shutdown: {err}");
            return ExitCode::from(1);
        }
        Err(_) => {
            log::error!("log pipeline: the reload thread panicked");
            return ExitCode::from(1);
        }
    }
    log::info!("shut down");
    served
}
