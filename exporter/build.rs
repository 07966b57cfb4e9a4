//! Build script: records the commit the exporter is built from, for `--version`
//! (`srekit-exporter 0.1.0 (commit 1a2b3c4)`). `SREKIT_GIT_COMMIT` overrides it (for builds from a
//! source archive); outside a git checkout, or without git, the commit is "unknown".
//!
//! It also hands the linker `hot-symbols.txt` (`--symbol-ordering-file`): the functions a scrape
//! runs, placed side by side at the start of the text, so that serving touches few code pages (the
//! kernel maps 64 kB around each code fault; scattered over 7 MB of text, the scrape path kept
//! ~4.9 MB of code resident). Only where the linker is rustc's own LLD (x86_64 Linux, rustc 1.90 and
//! later, no other linker configured); `SREKIT_NO_SYMBOL_ORDER=1` turns it off. A stale list costs
//! nothing but the effect: names it lists that no longer exist are skipped silently.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    println!("cargo:rerun-if-env-changed=SREKIT_GIT_COMMIT");
    let commit = std::env::var("SREKIT_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| git(&["rev-parse", "--short", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it points to (a commit), loose
    // or packed.
    let head = git(&["rev-parse", "--git-path", "HEAD"]);
    let packed = git(&["rev-parse", "--git-path", "packed-refs"]);
    let branch =
        git(&["symbolic-ref", "-q", "HEAD"]).and_then(|branch| git(&["rev-parse", "--git-path", &branch]));
    for path in [head, branch, packed].into_iter().flatten() {
        if PathBuf::from(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=SREKIT_GIT_COMMIT={commit}");
    order_hot_symbols();
}

/// Passes `hot-symbols.txt` to the linker when it is rustc's bundled LLD (see the header).
fn order_hot_symbols() {
    println!("cargo:rerun-if-changed=hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=SREKIT_NO_SYMBOL_ORDER");
    if std::env::var_os("SREKIT_NO_SYMBOL_ORDER").is_some_and(|v| !v.is_empty() && v != "0") {
        return;
    }
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    // An explicit linker (cargo-zigbuild's wrapper, a cross linker) or a request for another one.
    let own_linker = std::env::var_os("RUSTC_LINKER").is_none()
        && !env("CARGO_ENCODED_RUSTFLAGS").contains("linker")
        && env("TARGET") == "x86_64-unknown-linux-gnu";
    if !own_linker || !rustc_uses_lld() {
        return;
    }
    let list = PathBuf::from(env("CARGO_MANIFEST_DIR")).join("hot-symbols.txt");
    if list.exists() {
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}", list.display());
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// True for rustc 1.90 and later, which links x86_64 Linux binaries with its bundled LLD.
fn rustc_uses_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let Ok(output) = Command::new(rustc).arg("-V").output() else { return false };
    let version = String::from_utf8_lossy(&output.stdout);
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let mut numbers = version.split_whitespace().nth(1).unwrap_or("").split(['.', '-']);
    let major: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let minor: u32 = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    major > 1 || (major == 1 && minor >= 90)
}
