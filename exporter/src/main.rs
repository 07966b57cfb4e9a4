//! `srekit-exporter`: serves host metrics and log-derived metrics on `/metrics`.
//! Not yet built (the exporter issue); for now it prints a message and exits non-zero.

fn main() {
    eprintln!("srekit-exporter: not built yet (see the exporter issue)");
    std::process::exit(2);
}
