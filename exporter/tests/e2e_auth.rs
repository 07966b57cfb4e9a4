//! Basic auth under attack, end to end: 48 clients send wrong passwords continuously to the real
//! exporter (real cost-10 bcrypt hashes) while the test times the unauthenticated `/healthz` and an
//! authorised scrape; and a wrong user takes as long as a wrong password (no user enumeration).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// An exporter whose web config has one user, `prometheus:s3cret`, hashed at bcrypt's default cost 10.
fn start_with_auth(dir: &std::path::Path) -> (Process, u16) {
    let hash = bcrypt::hash("s3cret", 10).unwrap();
    let web = dir.join("web.yml");
    std::fs::write(&web, format!("basic_auth_users:\n  prometheus: {hash}\n")).unwrap();
    start_exporter(&[&format!("--web.config.file={}", web.display())])
}

fn timed_get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, Duration) {
    let started = Instant::now();
    let status = http_get(port, path, headers).map(|r| r.status).unwrap_or(0);
    (status, started.elapsed())
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[index]
}

#[test]
fn wrong_password_flood_leaves_healthz_and_authorised_scrapes_fast() {
    let dir = tempfile::tempdir().unwrap();
    let (_exporter, port) = start_with_auth(dir.path());
    let good = basic("prometheus", "s3cret");
    let wrong = basic("prometheus", "wrong");
    // Prometheus scrapes with the same credentials every time: the first check pays bcrypt.
    assert_eq!(timed_get(port, "/metrics", &[("Authorization", &good)]).0, 200);

    let stop = Arc::new(AtomicBool::new(false));
    let attempts = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..48)
        .map(|_| {
            let (stop, attempts, wrong) = (stop.clone(), attempts.clone(), wrong.clone());
            std::thread::spawn(move || {
                let mut statuses = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    statuses.push(timed_get(port, "/metrics", &[("Authorization", &wrong)]).0);
                    attempts.fetch_add(1, Ordering::Relaxed);
                }
                statuses
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    let mut healthz = Vec::new();
    let mut scrapes = Vec::new();
    for round in 0..100 {
        let (status, took) = timed_get(port, "/healthz", &[]);
        assert_eq!(status, 200);
        healthz.push(took);
        if round % 4 == 0 {
            let (status, took) = timed_get(port, "/metrics", &[("Authorization", &good)]);
            assert_eq!(status, 200, "an authorised scrape is never refused");
            scrapes.push(took);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    let statuses: Vec<u16> = attackers.into_iter().flat_map(|a| a.join().unwrap()).collect();

    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "wrong passwords get 401 or 429: {statuses:?}");
    assert!(statuses.contains(&401), "some wrong passwords were really checked");
    assert!(attempts.load(Ordering::Relaxed) >= 48, "the flood ran");
    let healthz_p99 = percentile(healthz, 0.99);
    let scrape_p99 = percentile(scrapes, 0.99);
    assert!(healthz_p99 <= Duration::from_millis(100), "/healthz p99 {healthz_p99:?} under the flood");
    assert!(scrape_p99 <= Duration::from_millis(500), "authorised scrape p99 {scrape_p99:?} under the flood");
}

#[test]
fn wrong_user_and_wrong_password_take_the_same_time() {
    let dir = tempfile::tempdir().unwrap();
    let (_exporter, port) = start_with_auth(dir.path());
    let wrong_password = basic("prometheus", "wrong");
    let wrong_user = basic("mallory", "s3cret");
    // Interleaved, so load on the shared machine falls on both alike. A burst of load can still skew
    // one round of 15 by more than the 20% budget, so up to three rounds are measured and the first
    // within it passes; the defect this guards against (no hash for an unknown user) is a ratio
    // near 0.001 in every round.
    let mut rounds = Vec::new();
    for _round in 0..3 {
        let (mut by_password, mut by_user) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            let (status, took) = timed_get(port, "/metrics", &[("Authorization", &wrong_password)]);
            assert_eq!(status, 401);
            by_password.push(took);
            let (status, took) = timed_get(port, "/metrics", &[("Authorization", &wrong_user)]);
            assert_eq!(status, 401);
            by_user.push(took);
        }
        let (password_median, user_median) = (percentile(by_password, 0.5), percentile(by_user, 0.5));
        let ratio = user_median.as_secs_f64() / password_median.as_secs_f64();
        rounds.push((ratio, user_median, password_median));
        if (0.8..=1.25).contains(&ratio) {
            break;
        }
    }
    let &(ratio, user_median, _) = rounds.last().unwrap();
    assert!(
        (0.8..=1.25).contains(&ratio),
        "wrong user vs wrong password medians outside 20% in every round: {rounds:?} (ratio, user, password); last {ratio:.2}"
    );
    // Both really pay bcrypt (cost 10 is milliseconds, a map lookup is microseconds).
    assert!(user_median >= Duration::from_millis(5), "wrong user answered in {user_median:?}");
}
