//! Command-line interface: node_exporter-compatible flags (the host options' flags generated from the
//! core's option table, and one `--collector.<name>` / `--no-collector.<name>` pair per host collector
//! from the core's catalog) and the subcommands `serve` (the default), `collect`, `parse` and `check`.

use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, Command, FromArgMatches, Parser, Subcommand};
use srekit::host::{all_collectors, host_options, HostConfig, HostError, HostOption, HostOptionDefault};

/// srekit-exporter: host metrics with node_exporter's names, plus metrics derived from log files.
#[derive(Debug, Parser)]
#[command(
    name = "srekit-exporter",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("SREKIT_GIT_COMMIT"), ")"),
    about,
    args_conflicts_with_subcommands = false
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
    #[command(flatten)]
    pub host: HostFlags,
    #[command(flatten)]
    pub web: WebFlags,
    /// TOML file with log inputs (`[[inputs]]`), log -> metrics rules (`[[metrics]]`) and `[state]`.
    #[arg(long = "config.file", global = true)]
    pub config_file: Option<PathBuf>,
    /// Only log messages with the given severity or above: debug, info, warn or error.
    #[arg(long = "log.level", value_enum, default_value = "info", global = true)]
    pub log_level: crate::logging::LogLevel,
    /// Output format of log messages: logfmt or json.
    #[arg(long = "log.format", value_enum, default_value = "logfmt", global = true)]
    pub log_format: crate::logging::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Serve /metrics (the default when no subcommand is given).
    Serve,
    /// Print one scrape to stdout and exit.
    Collect {
        /// Output format: text (Prometheus 0.0.4) or openmetrics.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Parse log lines (files or stdin) into NDJSON on stdout; bad lines go to stderr with their line number.
    Parse(crate::parse_cmd::ParseArgs),
    /// Validate a config file (`check FILE` or `check --config.file FILE`) and exit: 0 when valid, 1
    /// with a message naming the bad key otherwise.
    Check(CheckArgs),
}

/// Arguments of the `check` subcommand.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The config file to validate (the same as `--config.file FILE`).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// Subcommands that read none of the host and web flags, with the other global flags they ignore:
/// their `--help` lists only their own options, and such a flag given to them is a usage error.
const SUBCOMMANDS_WITHOUT_HOST_FLAGS: [(&str, &[&str]); 2] = [("parse", &["config_file"]), ("check", &[])];

/// Flags of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct WebFlags {
    /// Address to listen on (`:9100` means every interface).
    #[arg(long = "web.listen-address", default_value = ":9100", global = true)]
    pub listen_address: String,
    /// Path under which metrics are served.
    #[arg(long = "web.telemetry-path", default_value = "/metrics", value_parser = crate::flag_values::url_path, global = true)]
    pub telemetry_path: String,
    /// Maximum number of scrapes collected at once; more wait for a slot (up to 10 s, then 503). 0: no limit.
    #[arg(long = "web.max-requests", default_value_t = 40, value_parser = clap::value_parser!(u32).range(0..=1_000_000), global = true)]
    pub max_requests: u32,
    /// How long a client may take to send its request headers (`10s`, `1m30s`, `250ms`, or seconds).
    #[arg(long = "web.read-timeout", default_value = "10s", value_parser = crate::flag_values::duration, global = true)]
    pub read_timeout: Duration,
    /// Path to a web config file (TLS and basic auth, as Prometheus' exporter toolkit reads it).
    #[arg(long = "web.config.file", global = true)]
    pub web_config_file: Option<PathBuf>,
    /// How long a whole connection may last, request and response together (`60s`, or seconds).
    #[arg(long = "web.write-timeout", default_value = "60s", value_parser = crate::flag_values::duration, global = true)]
    pub write_timeout: Duration,
    /// Serve on every listening socket systemd passes (socket activation: LISTEN_FDS, LISTEN_PID, descriptors 3...) instead of --web.listen-address.
    #[arg(long = "web.systemd-socket", global = true)]
    pub systemd_socket: bool,
    /// Enable `POST /-/reload` (re-read the config file, as SIGHUP does); without it the endpoint answers 403.
    #[arg(long = "web.enable-lifecycle", global = true)]
    pub enable_lifecycle: bool,
    /// Leave out the exporter's own metrics (process_* and srekit_exporter_*), as node_exporter's flag does.
    #[arg(long = "web.disable-exporter-metrics", global = true)]
    pub disable_exporter_metrics: bool,
    /// Maximum number of open client connections; a connection beyond it is closed at once.
    #[arg(long = "web.max-connections", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=1_000_000), global = true)]
    pub max_connections: u32,
}

/// Flags that configure the host collectors (node_exporter's names).
#[derive(Debug, Clone, Args)]
pub struct HostFlags {
    /// procfs mountpoint.
    #[arg(long = "path.procfs", default_value = "/proc", global = true)]
    pub procfs: PathBuf,
    /// sysfs mountpoint.
    #[arg(long = "path.sysfs", default_value = "/sys", global = true)]
    pub sysfs: PathBuf,
    /// rootfs mountpoint.
    #[arg(long = "path.rootfs", default_value = "/", global = true)]
    pub rootfs: PathBuf,
    /// udev data path.
    #[arg(long = "path.udev.data", default_value = "/run/udev/data", global = true)]
    pub udev_data: PathBuf,
    /// Directory to read text files with metrics from (`*.prom`).
    #[arg(long = "collector.textfile.directory", global = true)]
    pub textfile_directory: Option<PathBuf>,
    /// Disable every collector not enabled explicitly.
    #[arg(long = "collector.disable-defaults", global = true)]
    pub disable_defaults: bool,
    /// How long each collector may take before it reports success 0 (`5s`, or seconds; srekit's addition).
    #[arg(long = "collector.timeout", default_value = "5s", value_parser = crate::flag_values::duration, global = true)]
    pub collector_timeout: Duration,
    /// How long a path found absent (a subsystem or device the host lacks) is taken as absent
    /// without probing it again: a device that appears is reported at the latest this much later
    /// (`10s`; `0` probes on every collection; at most `1h`; srekit's addition).
    #[arg(long = "collector.absent-recheck", default_value = "10s", value_parser = crate::flag_values::recheck, global = true)]
    pub absent_recheck: Duration,
}

/// The full command, with the generated flags: one per host option of the core's table
/// ([`host_options`]; a switch also gets `--no-<flag>`, as kingpin gives node_exporter), and one
/// `--collector.<name>` / `--no-collector.<name>` pair per collector.
pub fn command() -> Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for option in host_options() {
        cmd = match option.default {
            HostOptionDefault::Text(default) => {
                let help = match default {
                    Some(default) => format!("{} [default: {default:?}]", option.help),
                    None => option.help.to_string(),
                };
                // Options node_exporter takes once per entry (the sysctl lists) may be repeated; their
                // values are joined with spaces, the core's separator.
                let action = if option.repeatable() { ArgAction::Append } else { ArgAction::Set };
                cmd.arg(
                    clap::Arg::new(option.flag)
                        .long(option.flag)
                        .value_name(option.flag.to_uppercase())
                        .action(action)
                        .global(true)
                        .help(help),
                )
            }
            HostOptionDefault::Switch(default) => {
                let negated = format!("no-{}", option.flag);
                let on = format!("{} [default: {}]", option.help, if default { "on" } else { "off" });
                cmd.arg(
                    clap::Arg::new(option.flag)
                        .long(option.flag)
                        .action(ArgAction::SetTrue)
                        .overrides_with(negated.clone())
                        .global(true)
                        .help(on),
                )
                .arg(
                    clap::Arg::new(negated.clone())
                        .long(negated)
                        .action(ArgAction::SetTrue)
                        .overrides_with(option.flag)
                        .global(true)
                        .help(format!("Turn --{} off.", option.flag)),
                )
            }
            HostOptionDefault::Bytes(default) => cmd.arg(
                clap::Arg::new(option.flag)
                    .long(option.flag)
                    .value_name("BYTES")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .global(true)
                    .help(format!("{} [default: {default}]", option.help)),
            ),
        };
    }
    for name in all_collectors() {
        cmd = cmd
            .arg(
                clap::Arg::new(format!("collector.{name}"))
                    .long(format!("collector.{name}"))
                    .action(ArgAction::SetTrue)
                    .global(true)
                    .help(format!("Enable the {name} collector.")),
            )
            .arg(
                clap::Arg::new(format!("no-collector.{name}"))
                    .long(format!("no-collector.{name}"))
                    .action(ArgAction::SetTrue)
                    .global(true)
                    .help(format!("Disable the {name} collector.")),
            );
    }
    hide_host_flags_in_subcommands_without_them(cmd)
}

/// The ids of the flags that configure the host collectors and the web server (the derived ones and
/// the generated ones).
fn host_and_web_flag_ids(cmd: &Command) -> Vec<String> {
    let own: Vec<String> = Command::new("own")
        .args(<HostFlags as Args>::augment_args(Command::new("host")).get_arguments().cloned())
        .args(<WebFlags as Args>::augment_args(Command::new("web")).get_arguments().cloned())
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect();
    let generated = host_options()
        .iter()
        .flat_map(|option| match option.default {
            HostOptionDefault::Text(_) | HostOptionDefault::Bytes(_) => vec![option.flag.to_string()],
            HostOptionDefault::Switch(_) => vec![option.flag.to_string(), format!("no-{}", option.flag)],
        })
        .chain(
            all_collectors()
                .iter()
                .flat_map(|name| [format!("collector.{name}"), format!("no-collector.{name}")]),
        );
    own.into_iter().chain(generated).filter(|id| cmd.get_arguments().any(|arg| arg.get_id() == id)).collect()
}

/// clap gives a global flag to every subcommand, unless the subcommand has a flag with its id
/// already: `parse` and `check` get hidden copies of the host and web flags, so their `--help` lists
/// only their own options (and [`refuse_flags_a_subcommand_ignores`] refuses the copies when given).
fn hide_host_flags_in_subcommands_without_them(mut cmd: Command) -> Command {
    let ids = host_and_web_flag_ids(&cmd);
    for (name, also) in SUBCOMMANDS_WITHOUT_HOST_FLAGS {
        let hidden: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|arg| {
                let id = arg.get_id().as_str();
                ids.iter().any(|hidden| hidden == id) || also.contains(&id)
            })
            .map(|arg| arg.clone().hide(true))
            .collect();
        cmd = cmd.mut_subcommand(name, |sub| sub.args(hidden));
    }
    cmd
}

/// A host or web flag given to `parse` or `check` would do nothing: it is a usage error instead.
fn refuse_flags_a_subcommand_ignores(cmd: &mut Command, matches: &ArgMatches) -> Result<(), clap::Error> {
    let Some((name, sub_matches)) = matches.subcommand() else { return Ok(()) };
    let Some((_, also)) = SUBCOMMANDS_WITHOUT_HOST_FLAGS.iter().find(|(sub, _)| *sub == name) else {
        return Ok(());
    };
    let ids = host_and_web_flag_ids(cmd);
    let given = ids
        .iter()
        .map(String::as_str)
        .chain(also.iter().copied())
        .find(|id| sub_matches.value_source(id) == Some(ValueSource::CommandLine));
    let Some(id) = given else { return Ok(()) };
    let flag =
        cmd.get_arguments().find(|arg| arg.get_id() == id).and_then(|arg| arg.get_long()).unwrap_or(id);
    Err(cmd.error(ErrorKind::ArgumentConflict, format!("--{flag} does not apply to `{name}`")))
}

/// Parses `args` as the exporter's command line (the first item is the program name).
pub fn try_parse_from<I, T>(args: I) -> Result<(Cli, ArgMatches), clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    refuse_flags_a_subcommand_ignores(&mut cmd, &matches)?;
    Ok((Cli::from_arg_matches(&matches)?, matches))
}

/// Parses the process arguments (exits with clap's message and status 2 on bad usage).
pub fn parse() -> (Cli, ArgMatches) {
    try_parse_from(std::env::args_os()).unwrap_or_else(|err| err.exit())
}

/// Turns the host flags into the core's configuration.
pub fn host_config(flags: &HostFlags, matches: &ArgMatches) -> Result<HostConfig, HostError> {
    let mut config = HostConfig::default();
    config.procfs = flags.procfs.clone();
    config.sysfs = flags.sysfs.clone();
    config.rootfs = flags.rootfs.clone();
    config.udev_data = flags.udev_data.clone();
    config.textfile_directory = flags.textfile_directory.clone();
    config.collector_timeout = flags.collector_timeout;
    config.absent_recheck = flags.absent_recheck;
    for option in host_options() {
        match option.default {
            HostOptionDefault::Text(_) => {
                let values: Vec<&str> = matches
                    .get_many::<String>(option.flag)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                if !values.is_empty() {
                    config.set_option(option.name, HostOption::Text(&values.join(" ")))?;
                }
            }
            HostOptionDefault::Switch(_) => {
                if matches.get_flag(option.flag) {
                    config.set_option(option.name, HostOption::Switch(true))?;
                } else if matches.get_flag(&format!("no-{}", option.flag)) {
                    config.set_option(option.name, HostOption::Switch(false))?;
                }
            }
            HostOptionDefault::Bytes(_) => {
                if let Some(bytes) = matches.get_one::<u64>(option.flag) {
                    config.set_option(option.name, HostOption::Bytes(*bytes))?;
                }
            }
        }
    }
    if flags.disable_defaults {
        config.disable_defaults();
    }
    for name in all_collectors() {
        if matches.get_flag(&format!("collector.{name}")) {
            config.enable(name)?;
        }
        if matches.get_flag(&format!("no-collector.{name}")) {
            config.disable(name)?;
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> (Cli, ArgMatches) {
        try_parse_from(args).expect("valid arguments")
    }

    #[test]
    fn collector_flags_enable_and_disable() {
        let (cli, matches) =
            parse_args(&["x", "--collector.disable-defaults", "--collector.loadavg", "--no-collector.cpu"]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.enabled(), vec!["loadavg"]);
    }

    #[test]
    fn repeated_sysctl_flags_are_joined_as_node_exporter_takes_them() {
        let (cli, matches) = parse_args(&[
            "x",
            "--collector.sysctl.include=vm.swappiness",
            "--collector.sysctl.include",
            "kernel.threads-max",
            "--collector.sysctl.include-info=kernel.hostname",
        ]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.sysctl_include.as_deref(), Some("vm.swappiness kernel.threads-max"));
        assert_eq!(config.sysctl_include_info.as_deref(), Some("kernel.hostname"));
        // Other text options stay single: a second value is a usage error, not a silent override.
        assert!(try_parse_from([
            "x",
            "--collector.diskstats.device-exclude=a",
            "--collector.diskstats.device-exclude=b"
        ])
        .is_err());
    }

    #[test]
    fn the_absent_recheck_interval_reaches_the_host_config() {
        let (cli, matches) = parse_args(&["x"]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.absent_recheck, Duration::from_secs(10));
        let (cli, matches) = parse_args(&["x", "--collector.absent-recheck=0"]);
        assert_eq!(host_config(&cli.host, &matches).expect("valid config").absent_recheck, Duration::ZERO);
        let (cli, matches) = parse_args(&["x", "--collector.absent-recheck=1m"]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.absent_recheck, Duration::from_secs(60));
    }

    #[test]
    fn flags_work_after_a_subcommand_too() {
        let (cli, matches) =
            parse_args(&["x", "collect", "--path.procfs", "/host/proc", "--no-collector.hwmon"]);
        assert!(matches!(cli.command, Some(Commands::Collect { .. })));
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.procfs, PathBuf::from("/host/proc"));
        assert!(!config.is_enabled("hwmon"));
    }

    #[test]
    fn node_exporter_collector_options_reach_the_host_config() {
        let (cli, matches) = parse_args(&[
            "x",
            "--collector.powersupply.ignored-supplies=^BAT",
            "--collector.tapestats.ignored-devices",
            "^st0$",
            "--collector.rapl.enable-zone-label",
            "--collector.netclass.ignore-invalid-speed",
        ]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert_eq!(config.powersupply_ignored_supplies.as_deref(), Some("^BAT"));
        assert_eq!(config.tapestats_ignored_devices.as_deref(), Some("^st0$"));
        assert!(config.rapl_zone_label && config.netclass_ignore_invalid_speed);
        let (cli, matches) = parse_args(&["x"]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert!(config.powersupply_ignored_supplies.is_none() && !config.rapl_zone_label);
        assert!(!config.netclass_ignore_invalid_speed);
    }

    #[test]
    fn every_host_option_has_its_flag_and_reaches_the_config() {
        let cmd = command();
        let longs: Vec<&str> = cmd.get_arguments().filter_map(|arg| arg.get_long()).collect();
        for option in host_options() {
            assert!(longs.contains(&option.flag), "--{} is a flag", option.flag);
            let (args, expected) = match option.default {
                HostOptionDefault::Text(_) => {
                    (vec![format!("--{}=^x$", option.flag)], "Some(\"^x$\")".to_string())
                }
                HostOptionDefault::Switch(true) => {
                    (vec![format!("--no-{}", option.flag)], "false".to_string())
                }
                HostOptionDefault::Switch(false) => (vec![format!("--{}", option.flag)], "true".to_string()),
                HostOptionDefault::Bytes(_) => {
                    (vec![format!("--{}=12345", option.flag)], "12345".to_string())
                }
            };
            let matches = command()
                .try_get_matches_from(std::iter::once("x".to_string()).chain(args))
                .unwrap_or_else(|err| panic!("--{}: {err}", option.flag));
            let cli = Cli::from_arg_matches(&matches).expect("valid");
            let config = host_config(&cli.host, &matches).expect("valid config");
            let debug = format!("{config:?}");
            assert!(
                debug.contains(&format!("{}: {expected}", option.name)),
                "--{} sets {}",
                option.flag,
                option.name
            );
        }
    }

    #[test]
    fn switch_flags_take_the_last_of_on_and_off() {
        let (cli, matches) = parse_args(&["x", "--no-collector.cpu.guest", "--collector.cpu.guest"]);
        assert!(host_config(&cli.host, &matches).expect("valid config").cpu_guest);
        let (cli, matches) =
            parse_args(&["x", "--collector.netdev.netlink", "--no-collector.netdev.netlink"]);
        assert!(!host_config(&cli.host, &matches).expect("valid config").netlink);
        let (cli, matches) = parse_args(&["x"]);
        let config = host_config(&cli.host, &matches).expect("valid config");
        assert!(config.cpu_guest && config.netlink);
    }

    #[test]
    fn unknown_flags_are_usage_errors() {
        assert!(command().try_get_matches_from(["x", "--collector.nonexistent"]).is_err());
    }

    #[test]
    fn defaults_match_node_exporter() {
        let (cli, _) = parse_args(&["x"]);
        assert_eq!(cli.web.listen_address, ":9100");
        assert_eq!(cli.web.telemetry_path, "/metrics");
        assert!(cli.command.is_none());
    }
}
