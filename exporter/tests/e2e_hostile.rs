//! Slow and hostile clients: a thousand idle half-sent requests (slowloris) do not stop a normal scrape
//! from answering within a second, and the read timeout closes them.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn slowloris_does_not_block_scrapes() {
    let (_exporter, port) = start_exporter(&["--web.read-timeout=3"]);
    let mut idle = Vec::new();
    for _ in 0..1000 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ").unwrap();
        idle.push(stream);
    }
    // Warm-up scrape, then the timed one.
    assert_eq!(http_get(port, "/metrics", &[]).unwrap().status, 200);
    let started = Instant::now();
    let response = http_get(port, "/metrics", &[]).unwrap();
    let took = started.elapsed();
    assert_eq!(response.status, 200);
    assert!(response.text().contains("node_load1"));
    assert!(took < Duration::from_secs(1), "scrape took {took:?} with 1000 idle clients");

    // The read timeout closes the half-sent requests.
    std::thread::sleep(Duration::from_secs(4));
    let mut closed = 0;
    for stream in idle.iter_mut().take(50) {
        stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 512];
        match stream.read(&mut buf) {
            Ok(0) => closed += 1,
            Ok(n) if String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408") => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            _ => {}
        }
    }
    assert_eq!(closed, 50, "idle connections are closed after the read timeout");
}

#[test]
fn scrapes_beyond_the_concurrency_cap_wait_for_a_slot() {
    // With a cap of 1 and 16 clients at once, collections run one at a time and every client is
    // served: a burst of scrapers queues for the slot instead of being refused with 503.
    let (_exporter, port) = start_exporter(&["--web.max-requests=1"]);
    let handles: Vec<_> = (0..16)
        .map(|_| std::thread::spawn(move || http_get(port, "/metrics", &[]).unwrap().status))
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
}
