//! `--web.systemd-socket`: serve on every listening socket systemd passes (socket activation,
//! `sd_listen_fds(3)`), as node_exporter does: `LISTEN_PID` must be this process and `LISTEN_FDS` at
//! least 1; the sockets are descriptors 3, 4, ... 3 + LISTEN_FDS - 1, each a listening TCP socket. The
//! variables are removed once read, so children do not inherit them.

use std::os::fd::{FromRawFd, RawFd};

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// More descriptors than any socket unit passes: a larger `LISTEN_FDS` is a mistake, not a request
/// to take over thousands of descriptors.
const LISTEN_FDS_MAX: usize = 1024;

/// Why no socket could be taken from systemd.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SocketActivationError {
    #[error("no socket activation file descriptors found (LISTEN_FDS and LISTEN_PID are not set)")]
    NotActivated,
    #[error("LISTEN_PID={0} is not this process ({1}): the sockets were passed to another process")]
    OtherProcess(String, u32),
    #[error("LISTEN_FDS={0:?} is not a positive number of descriptors (at most 1024)")]
    BadCount(String),
    #[error("descriptor {0} is not a listening stream socket")]
    NotListening(RawFd),
    #[error("descriptor {0} is a listening socket but not TCP (IPv4 or IPv6); only TCP sockets are served")]
    NotTcp(RawFd),
    #[error("descriptor {0}: {1}")]
    Io(RawFd, String),
}

/// Checks the variables systemd sets (`LISTEN_PID`, `LISTEN_FDS`) against this process; returns the
/// number of descriptors passed.
fn passed_descriptors(
    pid: Option<String>,
    fds: Option<String>,
    own_pid: u32,
) -> Result<usize, SocketActivationError> {
    let (Some(pid), Some(fds)) = (pid, fds) else { return Err(SocketActivationError::NotActivated) };
    if pid.trim().parse::<u32>().ok() != Some(own_pid) {
        return Err(SocketActivationError::OtherProcess(pid, own_pid));
    }
    match fds.trim().parse::<usize>() {
        Ok(count) if (1..=LISTEN_FDS_MAX).contains(&count) => Ok(count),
        _ => Err(SocketActivationError::BadCount(fds)),
    }
}

/// Takes every socket systemd passed as tokio listeners, in descriptor order (call inside the
/// runtime). Every descriptor is checked before any is taken, so an error leaves them all alone.
pub fn listeners() -> Result<Vec<tokio::net::TcpListener>, SocketActivationError> {
    let count = passed_descriptors(
        std::env::var("LISTEN_PID").ok(),
        std::env::var("LISTEN_FDS").ok(),
        std::process::id(),
    )?;
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    // `count` is at most LISTEN_FDS_MAX, so the descriptors fit a RawFd.
    let descriptors: Vec<RawFd> = (0..count as RawFd).map(|i| LISTEN_FDS_START + i).collect();
    for &fd in &descriptors {
        if !is_listening_stream_socket(fd) {
            return Err(SocketActivationError::NotListening(fd));
        }
        if !matches!(socket_option(fd, libc::SO_DOMAIN), Some(libc::AF_INET | libc::AF_INET6)) {
            return Err(SocketActivationError::NotTcp(fd));
        }
    }
    descriptors.into_iter().map(take_listener).collect()
}

/// Turns one checked descriptor into a tokio listener that is not inherited by children.
fn take_listener(fd: RawFd) -> Result<tokio::net::TcpListener, SocketActivationError> {
    // SAFETY: `fd` was passed to this process for it to own (checked by the caller: a listening TCP
    // socket, and LISTEN_PID names this process); nothing else in the process uses it.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    let io = |err: std::io::Error| SocketActivationError::Io(fd, err.to_string());
    listener.set_nonblocking(true).map_err(io)?;
    // SAFETY: FD_CLOEXEC on a descriptor we own: a child process does not inherit the listener.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    tokio::net::TcpListener::from_std(listener).map_err(io)
}

/// An integer `SOL_SOCKET` option of `fd`, or `None` when `fd` is not a socket.
fn socket_option(fd: RawFd, name: libc::c_int) -> Option<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `length` bytes into `value`; a descriptor that is not a
    // socket makes it fail (ENOTSOCK/EBADF), which is our answer.
    let status = unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, name, (&mut value as *mut libc::c_int).cast(), &mut length)
    };
    (status == 0).then_some(value)
}

/// Whether `fd` is a socket of type SOCK_STREAM that is listening.
fn is_listening_stream_socket(fd: RawFd) -> bool {
    socket_option(fd, libc::SO_TYPE) == Some(libc::SOCK_STREAM)
        && socket_option(fd, libc::SO_ACCEPTCONN) == Some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variables_must_name_this_process_and_a_count() {
        let some = |s: &str| Some(s.to_string());
        assert_eq!(passed_descriptors(some("42"), some("1"), 42), Ok(1));
        assert_eq!(passed_descriptors(None, None, 42), Err(SocketActivationError::NotActivated));
        assert_eq!(
            passed_descriptors(some("41"), some("1"), 42),
            Err(SocketActivationError::OtherProcess("41".into(), 42))
        );
        assert_eq!(
            passed_descriptors(some("42"), some("0"), 42),
            Err(SocketActivationError::BadCount("0".into()))
        );
        assert_eq!(
            passed_descriptors(some("42"), some("x"), 42),
            Err(SocketActivationError::BadCount("x".into()))
        );
        assert_eq!(passed_descriptors(some("42"), some("3"), 42), Ok(3));
        assert_eq!(
            passed_descriptors(some("42"), some("100000"), 42),
            Err(SocketActivationError::BadCount("100000".into()))
        );
    }

    #[test]
    fn only_a_listening_stream_socket_is_taken() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        assert!(is_listening_stream_socket(std::os::fd::AsRawFd::as_raw_fd(&listener)));
        let file = std::fs::File::open("/proc/self/stat").expect("open");
        assert!(!is_listening_stream_socket(std::os::fd::AsRawFd::as_raw_fd(&file)));
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
        assert_eq!(socket_option(fd, libc::SO_DOMAIN), Some(libc::AF_INET));
        let dir = std::env::temp_dir().join(format!("srekit-sd-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let unix = std::os::unix::net::UnixListener::bind(&dir).expect("bind unix");
        let unix_fd = std::os::fd::AsRawFd::as_raw_fd(&unix);
        assert!(is_listening_stream_socket(unix_fd));
        assert_eq!(socket_option(unix_fd, libc::SO_DOMAIN), Some(libc::AF_UNIX));
        let _ = std::fs::remove_file(&dir);
    }
}
