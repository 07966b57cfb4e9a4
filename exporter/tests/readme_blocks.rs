//! README code blocks run as pasted (issue 21 §1; the rules are in tests/readme/README.md): every
//! fenced block of README.md, python/README.md, node/README.md and examples/**/README.md has a runner
//! or a `skip` reason; the `sh` blocks run with `srekit-exporter` on PATH and the `toml` blocks pass
//! `srekit-exporter check`, each in an empty directory holding only the files it names.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::exporter_binary;

/// One fenced block and the `<!-- readme-test: ... -->` lines right above it.
#[derive(Debug)]
struct Block {
    file: PathBuf,
    line: usize,
    lang: String,
    text: String,
    skip: Option<String>,
    expect: Vec<String>,
    serve: Option<String>,
    /// Run by scripts/readme_isolated.py (from scripts/test-e2e.sh) in namespaces of its own.
    isolated: bool,
}

impl Block {
    fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The READMEs whose blocks must run: the three front doors and every README under examples/.
fn readmes() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, found);
            } else if path.file_name().is_some_and(|name| name == "README.md") {
                found.push(path);
            }
        }
    }
    let root = repo();
    let mut found: Vec<PathBuf> =
        ["README.md", "python/README.md", "node/README.md"].iter().map(|p| root.join(p)).collect();
    walk(&root.join("examples"), &mut found);
    found
}

fn blocks(path: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let Some(lang) = lines[at].strip_prefix("```") else {
            at += 1;
            continue;
        };
        let start = at;
        let end = (start + 1..lines.len()).find(|&i| lines[i].starts_with("```")).unwrap();
        let mut block = Block {
            file: path.strip_prefix(repo()).unwrap().to_path_buf(),
            line: start + 1,
            lang: lang.trim().to_string(),
            text: lines[start + 1..end].join("\n") + "\n",
            skip: None,
            expect: Vec::new(),
            serve: None,
            isolated: false,
        };
        let mut above = start;
        while above > 0 {
            let Some(directive) =
                lines[above - 1].strip_prefix("<!-- readme-test: ").and_then(|d| d.strip_suffix(" -->"))
            else {
                break;
            };
            if let Some(reason) = directive.strip_prefix("skip ") {
                block.skip = Some(reason.to_string());
            } else if let Some(text) = directive.strip_prefix("expect ") {
                block.expect.push(text.to_string());
            } else if ["isolated ", "isolated-lines ", "isolated-with-next ", "with-previous"]
                .iter()
                .any(|kind| directive.starts_with(kind))
            {
                block.isolated = true;
            } else if let Some(rest) = directive.strip_prefix("serve ") {
                let (path, text) = rest.split_once(" expect ").unwrap();
                block.serve = Some(path.to_string());
                block.expect.push(text.to_string());
            } else {
                panic!("{}: unknown readme-test directive {directive:?}", block.place());
            }
            above -= 1;
        }
        found.push(block);
        at = end + 1;
    }
    found
}

fn all_blocks() -> Vec<Block> {
    readmes().iter().flat_map(|path| blocks(path)).collect()
}

/// A fresh directory with the files of tests/readme/files that `block` names.
fn workdir(block: &Block) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo().join("tests/readme/files")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap();
        if block.text.contains(name) {
            std::fs::copy(&path, dir.path().join(name)).unwrap();
        }
    }
    dir
}

#[test]
fn every_block_has_a_runner_or_a_reason_not_to_run() {
    let blocks = all_blocks();
    let lib = std::fs::read_to_string(repo().join("core/src/lib.rs")).unwrap();
    let mut skipped = Vec::new();
    let mut run = 0;
    let mut isolated = 0;
    for block in &blocks {
        match block.lang.as_str() {
            // Output listings, not code.
            "text" => continue,
            "rust" => {
                let include = format!("include_str!(\"../../{}\")", block.file.display());
                assert!(
                    lib.contains(&include),
                    "{}: a rust block runs as a doc test via {include}",
                    block.place()
                );
            }
            "python" | "js" | "sh" | "toml" | "promql" => {}
            other => {
                panic!("{}: a block in {other:?} has no runner; label it (```text for output)", block.place())
            }
        }
        match &block.skip {
            Some(_) if block.isolated => panic!("{}: skip and isolated together", block.place()),
            None if block.isolated => isolated += 1,
            Some(reason) => {
                assert!(block.expect.is_empty(), "{}: skip and expect together", block.place());
                assert!(reason.len() > 10, "{}: say why it is not run", block.place());
                skipped.push(format!("{}: {reason}", block.place()));
            }
            None if block.lang == "rust" || block.lang == "toml" => run += 1,
            None => {
                assert!(
                    !block.expect.is_empty(),
                    "{}: a {} block needs `<!-- readme-test: expect ... -->` (what its output shows) or a skip reason",
                    block.place(),
                    block.lang
                );
                assert!(
                    block.lang != "promql",
                    "{}: promql blocks are not run; give a skip reason",
                    block.place()
                );
                run += 1;
            }
        }
    }
    eprintln!(
        "README blocks: {run} run here, {isolated} by scripts/test-e2e.sh in namespaces of their own, {} not run:",
        skipped.len()
    );
    for line in &skipped {
        eprintln!("  not run: {line}");
    }
    assert!(run >= 10, "the runners found the blocks ({run})");
}

#[test]
fn the_config_file_the_python_block_reads_is_the_readme_config() {
    let toml =
        all_blocks().into_iter().find(|b| b.lang == "toml" && b.file == Path::new("README.md")).unwrap();
    let fixture = std::fs::read_to_string(repo().join("tests/readme/files/srekit-exporter.toml")).unwrap();
    assert_eq!(fixture, toml.text, "tests/readme/files/srekit-exporter.toml is README.md's config block");
}

#[test]
fn toml_blocks_are_configs_that_check_accepts() {
    let mut checked = 0;
    for block in all_blocks().into_iter().filter(|b| b.lang == "toml" && b.skip.is_none() && !b.isolated) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srekit-exporter.toml");
        std::fs::write(&path, &block.text).unwrap();
        let out = Command::new(exporter_binary()).arg("check").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}: {}", block.place(), String::from_utf8_lossy(&out.stderr));
        checked += 1;
    }
    assert!(checked >= 1);
}

#[test]
fn shell_blocks_run_as_pasted() {
    let bin_dir = exporter_binary().parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut ran = 0;
    for block in all_blocks()
        .into_iter()
        .filter(|b| b.lang == "sh" && b.skip.is_none() && !b.isolated && !b.expect.is_empty())
    {
        let dir = workdir(&block);
        let out = Command::new("sh")
            .args(["-c", &block.text])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}: {}", block.place(), String::from_utf8_lossy(&out.stderr));
        for text in &block.expect {
            assert!(
                stdout.contains(text.as_str()),
                "{}: {text:?} not in the output:\n{stdout}",
                block.place()
            );
        }
        ran += 1;
    }
    assert!(ran >= 1);
}

#[test]
fn the_isolated_runner_finds_every_isolated_block() {
    // scripts/readme_isolated.py parses the same comments; a block it missed would silently not run.
    let expected: Vec<String> = all_blocks()
        .into_iter()
        .filter(|b| b.isolated)
        .filter(|b| {
            let text = std::fs::read_to_string(repo().join(&b.file)).unwrap();
            let above = text.lines().nth(b.line - 2).unwrap_or_default().to_string();
            !above.contains("readme-test: with-previous")
        })
        .map(|b| b.place())
        .collect();
    let out =
        Command::new("python3").arg(repo().join("scripts/readme_isolated.py")).arg("list").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(listed, expected);
    assert!(listed.len() >= 4, "the README blocks that serve :9100 and :9090: {listed:?}");
}
