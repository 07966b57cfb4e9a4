//! A private D-Bus for tests: starts Debian's `dbus-daemon` on a socket in a temporary directory
//! (fails the test, saying what is missing, without it), and stops it when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Kills the child process when the test ends, pass or fail.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private bus: the daemon and its address.
pub struct Bus {
    pub _daemon: Process,
    pub _dir: tempfile::TempDir,
    pub address: String,
}

pub fn start_bus() -> Bus {
    start_bus_in(tempfile::tempdir().expect("tempdir"))
}

/// A bus listening on `bus` in `dir`.
pub fn start_bus_in(dir: tempfile::TempDir) -> Bus {
    let binary = Path::new("/usr/bin/dbus-daemon");
    assert!(
        binary.exists(),
        "dbus-daemon is not installed: this test needs Debian's dbus-daemon package \
         (run scripts/install-deps.sh or `apt-get install dbus-daemon`)"
    );
    let _ = std::fs::remove_file(dir.path().join("bus"));
    let config = dir.path().join("bus.conf");
    let socket = dir.path().join("bus");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"#,
            socket.display()
        ),
    )
    .expect("write bus config");
    let mut child = Command::new(binary)
        .arg(format!("--config-file={}", config.display()))
        .args(["--print-address", "--nofork", "--nopidfile"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start dbus-daemon");
    let stdout = child.stdout.take().expect("dbus-daemon stdout");
    let daemon = Process(child);
    let mut address = String::new();
    BufReader::new(stdout).read_line(&mut address).expect("read the bus address");
    let address = address.trim().to_string();
    assert!(address.starts_with("unix:"), "dbus-daemon printed no address: {address:?}");
    Bus { _daemon: daemon, _dir: dir, address }
}
