//! Build script: records the commit the exporter is built from, for `--version`
//! (`srekit-exporter 0.1.0 (commit 1a2b3c4)`). `SREKIT_GIT_COMMIT` overrides it (for builds from a
//! source archive); outside a git checkout, or without git, the commit is "unknown".

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
}
