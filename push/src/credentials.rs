//! Credentials read from files (`basic_auth.password_file`, `bearer_token_file`) and kept current:
//! before each request the file is checked (one `stat`) and read again when its modification time,
//! size or inode changed, so a rotated password or token is used without a restart. A file that
//! cannot be read after a change is logged and the last good value kept. Secrets are bounded in size
//! ([`MAX_SECRET_BYTES`]), so a wrong path (a log, a device) is a clear error, not a memory blow-up.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine;
use hyper::header::HeaderValue;

use crate::sender::EndpointError;

/// The largest password or token file read.
pub const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Reads a password or token file (at most [`MAX_SECRET_BYTES`]), without its trailing newline.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("pw");
/// std::fs::write(&path, "s3cret\n").unwrap();
/// assert_eq!(srekit_push::sender::read_secret("password_file", &path).unwrap(), "s3cret");
/// assert!(srekit_push::sender::read_secret("password_file", &dir.path().join("none")).is_err());
/// std::fs::write(&path, vec![b'x'; 70_000]).unwrap();
/// let err = srekit_push::sender::read_secret("password_file", &path).unwrap_err();
/// assert!(err.to_string().contains("larger than 65536 bytes"), "{err}");
/// ```
pub fn read_secret(what: &'static str, path: &Path) -> Result<String, EndpointError> {
    let error = |message: String| EndpointError::File { what, path: path.to_path_buf(), message };
    let file = std::fs::File::open(path).map_err(|e| error(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes).map_err(|e| error(e.to_string()))?;
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(error(format!("larger than {MAX_SECRET_BYTES} bytes: not a password or token file")));
    }
    let text = String::from_utf8(bytes).map_err(|_| error("not UTF-8".into()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// How an endpoint authenticates, with the file the secret is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `Authorization: Basic base64(username:password)`, the password from `password_file`.
    Basic {
        /// The user name.
        username: String,
        /// The file holding the password.
        password_file: PathBuf,
    },
    /// `Authorization: Bearer <token>`, the token from `token_file`.
    Bearer {
        /// The file holding the token.
        token_file: PathBuf,
    },
}

impl Auth {
    fn file(&self) -> (&'static str, &Path) {
        match self {
            Auth::Basic { password_file, .. } => ("basic_auth.password_file", password_file),
            Auth::Bearer { token_file } => ("bearer_token_file", token_file),
        }
    }

    /// The `Authorization` header value for the file's current content.
    fn header(&self) -> Result<HeaderValue, EndpointError> {
        let (what, path) = self.file();
        let secret = read_secret(what, path)?;
        let value = match self {
            Auth::Basic { username, .. } => {
                let pair = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{secret}"));
                format!("Basic {pair}")
            }
            Auth::Bearer { .. } => format!("Bearer {secret}"),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| EndpointError::File {
            what,
            path: path.to_path_buf(),
            message: "holds characters not allowed in an HTTP header".into(),
        })?;
        // Kept out of Debug output and logs.
        value.set_sensitive(true);
        Ok(value)
    }
}

/// What identifies a version of the file: modification time, size, inode.
type Stamp = (Option<SystemTime>, u64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok(), metadata.len(), metadata.ino()))
}

/// An [`Auth`] and its current header value, re-read when the file changes.
#[derive(Debug, Clone)]
pub struct Credentials {
    auth: Auth,
    value: HeaderValue,
    stamp: Option<Stamp>,
}

impl Credentials {
    /// Reads the secret once: a missing, unreadable or oversized file is an error naming it.
    ///
    /// ```
    /// use srekit_push::credentials::{Auth, Credentials};
    /// let dir = tempfile::tempdir().unwrap();
    /// let token_file = dir.path().join("token");
    /// std::fs::write(&token_file, "one\n").unwrap();
    /// let mut credentials = Credentials::new(Auth::Bearer { token_file: token_file.clone() }).unwrap();
    /// assert_eq!(credentials.current(), "Bearer one");
    /// std::fs::write(&token_file, "rotated-two\n").unwrap();
    /// assert_eq!(credentials.current(), "Bearer rotated-two");
    /// assert!(Credentials::new(Auth::Bearer { token_file: dir.path().join("none") }).is_err());
    /// ```
    pub fn new(auth: Auth) -> Result<Credentials, EndpointError> {
        let stamp = stamp(auth.file().1);
        let value = auth.header()?;
        Ok(Credentials { auth, value, stamp })
    }

    /// The header value, read again first when the file changed since the last read.
    pub fn current(&mut self) -> &HeaderValue {
        let (what, path) = self.auth.file();
        let now = stamp(path);
        if now != self.stamp {
            match self.auth.header() {
                Ok(value) => {
                    if value != self.value {
                        log::info!("{what} {}: changed, using the new secret", path.display());
                    }
                    self.value = value;
                    self.stamp = now;
                }
                Err(err) => {
                    // Logged once per change of the file; the last good secret stays in use.
                    log::warn!("{err}; still using the secret read before");
                    self.stamp = now;
                }
            }
        }
        &self.value
    }
}
