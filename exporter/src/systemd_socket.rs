//! `--web.systemd-socket`: serve on the listening socket systemd passes (socket activation,
//! `sd_listen_fds(3)`): `LISTEN_PID` must be this process and `LISTEN_FDS` at least 1; the first
//! socket is descriptor 3. The variables are removed once read, so children do not inherit them.

use std::os::fd::{FromRawFd, RawFd};

/// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
const LISTEN_FDS_START: RawFd = 3;

/// Why no socket could be taken from systemd.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SocketActivationError {
    #[error("no socket activation file descriptors found (LISTEN_FDS and LISTEN_PID are not set)")]
    NotActivated,
    #[error("LISTEN_PID={0} is not this process ({1}): the sockets were passed to another process")]
    OtherProcess(String, u32),
    #[error("LISTEN_FDS={0:?} is not a positive number of descriptors")]
    BadCount(String),
    #[error("descriptor 3 is not a listening stream socket")]
    NotListening,
    #[error("descriptor 3: {0}")]
    Io(String),
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
        Ok(count) if count > 0 => Ok(count),
        _ => Err(SocketActivationError::BadCount(fds)),
    }
}

/// Takes the first socket systemd passed as a tokio listener (call inside the runtime).
pub fn listener() -> Result<tokio::net::TcpListener, SocketActivationError> {
    let count = passed_descriptors(
        std::env::var("LISTEN_PID").ok(),
        std::env::var("LISTEN_FDS").ok(),
        std::process::id(),
    )?;
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    if count > 1 {
        log::warn!("systemd passed {count} sockets; serving on the first (descriptor 3) only");
    }
    if !is_listening_stream_socket(LISTEN_FDS_START) {
        return Err(SocketActivationError::NotListening);
    }
    // SAFETY: descriptor 3 was passed to this process for it to own (checked above: it is a
    // listening stream socket, and LISTEN_PID names this process); nothing else in the process uses it.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(LISTEN_FDS_START) };
    let io = |err: std::io::Error| SocketActivationError::Io(err.to_string());
    listener.set_nonblocking(true).map_err(io)?;
    // SAFETY: FD_CLOEXEC on a descriptor we own: a child process does not inherit the listener.
    unsafe { libc::fcntl(LISTEN_FDS_START, libc::F_SETFD, libc::FD_CLOEXEC) };
    tokio::net::TcpListener::from_std(listener).map_err(io)
}

/// Whether `fd` is a socket of type SOCK_STREAM that is listening.
fn is_listening_stream_socket(fd: RawFd) -> bool {
    let option = |name: libc::c_int| {
        let mut value: libc::c_int = 0;
        let mut length = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `length` bytes into `value`; a descriptor that is not a
        // socket makes it fail (ENOTSOCK/EBADF), which is our answer.
        let status = unsafe {
            libc::getsockopt(fd, libc::SOL_SOCKET, name, (&mut value as *mut libc::c_int).cast(), &mut length)
        };
        (status == 0).then_some(value)
    };
    option(libc::SO_TYPE) == Some(libc::SOCK_STREAM) && option(libc::SO_ACCEPTCONN) == Some(1)
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
    }

    #[test]
    fn only_a_listening_stream_socket_is_taken() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        assert!(is_listening_stream_socket(std::os::fd::AsRawFd::as_raw_fd(&listener)));
        let file = std::fs::File::open("/proc/self/stat").expect("open");
        assert!(!is_listening_stream_socket(std::os::fd::AsRawFd::as_raw_fd(&file)));
    }
}
