//! End to end: `--web.systemd-socket` serves on every listening socket passed from descriptor 3 on with
//! LISTEN_FDS and LISTEN_PID (as systemd's socket activation does; the test starts the exporter
//! through `sh -c 'LISTEN_PID=$$ exec ...'` so the PID is the exporter's), and refuses to start when
//! the variables are missing or name another process.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// Runs `sh -c script` with `listener` as descriptor 3 (not closed on exec) and the exporter's path in
/// `$EXPORTER`.
fn command_with_fd3(listener: &std::net::TcpListener, script: &str) -> Command {
    command_with_fds(&[listener], script)
}

/// Runs `sh -c script` with `listeners` as descriptors 3, 4, ... (not closed on exec), as systemd
/// passes a socket unit's sockets, and the exporter's path in `$EXPORTER`.
fn command_with_fds(listeners: &[&std::net::TcpListener], script: &str) -> Command {
    let fds: Vec<i32> = listeners.iter().map(|listener| listener.as_raw_fd()).collect();
    assert!(fds.len() <= 8, "at most 8 sockets");
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .env("EXPORTER", exporter_binary())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec; `fds` is allocated
    // before the fork and only read after it.
    unsafe {
        command.pre_exec(move || {
            // First move every socket above the target range, so no dup2 overwrites a later source.
            let mut high = [0i32; 8];
            for (slot, &fd) in high.iter_mut().zip(&fds) {
                *slot = libc::fcntl(fd, libc::F_DUPFD, 100);
                if *slot == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            for (target, &fd) in (3..).zip(&high[..fds.len()]) {
                if libc::dup2(fd, target) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    command
}

#[test]
fn serves_on_the_socket_systemd_passes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // --web.listen-address names another port: the passed socket wins.
    let unused = free_port();
    let script = format!(
        "LISTEN_FDS=1 LISTEN_PID=$$ exec \"$EXPORTER\" --web.systemd-socket --web.listen-address=127.0.0.1:{unused} --collector.disable-defaults --collector.loadavg"
    );
    let child = command_with_fd3(&listener, &script).spawn().unwrap();
    drop(listener);
    let mut exporter = Process { child, name: "srekit-exporter" };
    wait_until(Duration::from_secs(20), || http_get(port, "/metrics", &[]).is_ok_and(|r| r.status == 200))
        .unwrap_or_else(|e| panic!("the exporter serves on the passed socket: {e}"));
    assert!(http_get(port, "/metrics", &[]).unwrap().text().contains("\nnode_load1 "));
    assert!(http_get(unused, "/healthz", &[]).is_err(), "--web.listen-address is not bound");
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
}

/// systemd passes every socket of a unit with several `ListenStream=` lines; each one is served.
#[test]
fn serves_on_every_socket_systemd_passes() {
    let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let second = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let ports = [first.local_addr().unwrap().port(), second.local_addr().unwrap().port()];
    let script = "LISTEN_FDS=2 LISTEN_PID=$$ LISTEN_FDNAMES=a:b exec \"$EXPORTER\" --web.systemd-socket \
        --collector.disable-defaults --collector.loadavg";
    let child = command_with_fds(&[&first, &second], script).spawn().unwrap();
    drop((first, second));
    let mut exporter = Process { child, name: "srekit-exporter" };
    for port in ports {
        wait_until(Duration::from_secs(20), || {
            http_get(port, "/metrics", &[]).is_ok_and(|r| r.status == 200)
        })
        .unwrap_or_else(|e| panic!("the exporter serves on the socket of port {port}: {e}"));
        assert!(http_get(port, "/metrics", &[]).unwrap().text().contains("\nnode_load1 "), "port {port}");
    }
    // Both stay served, request after request.
    for round in 0..4 {
        let port = ports[round % 2];
        assert_eq!(http_get(port, "/healthz", &[]).unwrap().status, 200, "round {round}, port {port}");
    }
    assert_eq!(exporter.terminate(Duration::from_secs(10)), Some(0));
}

/// One passed descriptor that is not a listening socket refuses the start, naming the descriptor.
#[test]
fn refuses_when_a_later_descriptor_is_not_a_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let script = "LISTEN_FDS=2 LISTEN_PID=$$ exec \"$EXPORTER\" --web.systemd-socket 4</dev/null";
    let out = command_with_fd3(&listener, script).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("descriptor 4 is not a listening stream socket"), "{stderr}");
}

#[test]
fn refuses_without_the_variables_or_for_another_process() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    for (vars, expected) in [
        ("", "no socket activation file descriptors found"),
        ("LISTEN_FDS=1 LISTEN_PID=1", "is not this process"),
        ("LISTEN_FDS=0 LISTEN_PID=$$", "not a positive number"),
    ] {
        let script = format!("{vars} exec \"$EXPORTER\" --web.systemd-socket --collector.disable-defaults");
        let out = command_with_fd3(&listener, &script)
            .env_remove("LISTEN_FDS")
            .env_remove("LISTEN_PID")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{vars}: {stderr}");
        assert!(stderr.contains("--web.systemd-socket") && stderr.contains(expected), "{vars}: {stderr}");
    }
    // Descriptor 3 that is not a listening socket.
    let out = Command::new("sh")
        .args(["-c", "LISTEN_FDS=1 LISTEN_PID=$$ exec \"$EXPORTER\" --web.systemd-socket 3</dev/null"])
        .env("EXPORTER", exporter_binary())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a listening stream socket"));
}
