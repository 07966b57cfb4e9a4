//! `srekit-exporter`: serves host metrics (node_exporter's names) and log-derived metrics on `/metrics`.
//! With no arguments it serves on `:9100/metrics`; `collect` prints one scrape and exits.

mod cli;
mod parse_cmd;
mod scrape;
mod server;
mod web_config;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use cli::Commands;
use srekit::expfmt::Format;
use srekit::host::HostCollector;
use srekit::metrics::Registry;

fn main() -> ExitCode {
    let (cli, matches) = cli::parse();
    env_logger::Builder::new().parse_filters(&cli.log_level).format_timestamp_millis().init();
    if let Some(Commands::Parse(args)) = &cli.command {
        return parse_cmd::run(args);
    }
    let host_config = match cli::host_config(&cli.host, &matches) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("srekit-exporter: {err}");
            return ExitCode::from(2);
        }
    };
    let host = match HostCollector::new(host_config) {
        Ok(host) => host,
        Err(err) => {
            eprintln!("srekit-exporter: {err}");
            return ExitCode::from(2);
        }
    };
    let registry = Registry::new();
    let self_metrics = match scrape::SelfMetrics::register(&registry) {
        Ok(metrics) => metrics,
        Err(err) => {
            eprintln!("srekit-exporter: {err}");
            return ExitCode::from(1);
        }
    };
    let scraper = Arc::new(scrape::Scraper::new(Some(host), registry, self_metrics));
    match cli.command {
        Some(Commands::Collect { format }) => {
            let Some(format) = Format::from_name(&format) else {
                eprintln!("srekit-exporter: unknown format {format:?} (use text or openmetrics)");
                return ExitCode::from(2);
            };
            use std::io::Write;
            let body = scraper.scrape(format);
            if std::io::stdout().write_all(&body).is_err() {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        None | Some(Commands::Serve) => serve(&cli, scraper),
        Some(Commands::Parse(_)) => ExitCode::from(2), // handled above
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

fn serve(cli: &cli::Cli, scraper: Arc<scrape::Scraper>) -> ExitCode {
    raise_open_file_limit();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("srekit-exporter: cannot start the runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let settings = server::ServerSettings {
        telemetry_path: cli.web.telemetry_path.clone(),
        max_requests: cli.web.max_requests,
        read_timeout: Duration::from_secs_f64(cli.web.read_timeout.max(0.001)),
        write_timeout: Duration::from_secs_f64(cli.web.write_timeout.max(0.001)),
    };
    let web = match &cli.web.config_file {
        Some(path) => match web_config::WebConfig::load(path) {
            Ok(web) => web,
            Err(err) => {
                eprintln!("srekit-exporter: --web.config.file: {err}");
                return ExitCode::from(2);
            }
        },
        None => web_config::WebConfig { tls: None, auth: None },
    };
    runtime.block_on(async {
        let listener = match server::bind(&cli.web.listen_address).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("srekit-exporter: cannot listen on {}: {err}", cli.web.listen_address);
                return ExitCode::from(1);
            }
        };
        if let Ok(address) = listener.local_addr() {
            log::info!("listening on {address}, metrics at {}", settings.telemetry_path);
        }
        server::serve(listener, scraper, settings, web, server::shutdown_signal()).await;
        log::info!("shut down");
        ExitCode::SUCCESS
    })
}
