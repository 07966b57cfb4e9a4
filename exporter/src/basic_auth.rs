//! HTTP basic authentication with bcrypt hashes, safe against a flood of wrong credentials.
//!
//! bcrypt is slow on purpose (about 0.1 s at cost 10), so it never runs on the async runtime: each
//! verification runs on a blocking thread, at most [`BasicAuth::concurrency`] at once, and a request
//! that cannot get a verification slot within [`VERIFY_SLOT_WAIT`] is answered 429 rather than queued
//! without bound. Unauthenticated routes (`/healthz`) never wait for bcrypt.
//!
//! As in Prometheus' exporter-toolkit, successful verifications are cached, keyed by a salted SHA-256
//! of user and password (never the password itself), so an authorised scraper pays bcrypt once. A user
//! that does not exist is checked against a dummy hash of the same cost as the real ones, so a wrong
//! user and a wrong password take the same time and user names cannot be enumerated. The `Basic`
//! scheme name is case-insensitive (RFC 7235).
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::Semaphore;

/// How long a request waits for a bcrypt verification slot before it is answered 429.
pub const VERIFY_SLOT_WAIT: Duration = Duration::from_millis(500);

/// Successful verifications remembered at most; the cache is emptied when full (only correct
/// credentials get in, so this bound is reached only with that many distinct valid logins).
const CACHE_CAPACITY: usize = 1024;

/// The outcome of checking an `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A configured user with the right password.
    Allowed,
    /// Missing, malformed, unknown user or wrong password: 401.
    Denied,
    /// Every verification slot stayed busy for [`VERIFY_SLOT_WAIT`]: 429, try again later.
    Busy,
}

/// Basic-auth users with bcrypt hashes, and the state that keeps checking them cheap.
#[derive(Clone)]
pub struct BasicAuth {
    inner: Arc<Inner>,
}

struct Inner {
    users: BTreeMap<String, String>,
    /// A hash of a random password at the highest cost among the users' hashes.
    dummy_hash: String,
    salt: [u8; 16],
    verified: Mutex<HashSet<[u8; 32]>>,
    slots: Arc<Semaphore>,
}

impl BasicAuth {
    /// Users and their bcrypt hashes (already checked to parse). Computes the dummy hash, which costs
    /// one bcrypt hash at the users' highest cost. The unit tests below show each verdict.
    ///
    pub fn new(users: BTreeMap<String, String>) -> Result<BasicAuth, bcrypt::BcryptError> {
        let cost = users
            .values()
            .filter_map(|hash| hash.parse::<bcrypt::HashParts>().ok())
            .map(|parts| parts.get_cost())
            .max()
            .unwrap_or(bcrypt::DEFAULT_COST);
        let rng = SystemRandom::new();
        let mut salt = [0u8; 16];
        let mut dummy_password = [0u8; 16];
        // Without randomness the salt and dummy password stay fixed: still correct, only less opaque.
        let _ = rng.fill(&mut salt);
        let _ = rng.fill(&mut dummy_password);
        let dummy_hash = bcrypt::hash(dummy_password, cost)?;
        Ok(BasicAuth {
            inner: Arc::new(Inner {
                users,
                dummy_hash,
                salt,
                verified: Mutex::new(HashSet::new()),
                slots: Arc::new(Semaphore::new(Self::concurrency())),
            }),
        })
    }

    /// bcrypt verifications run at once: half the CPUs (at least one), so the runtime keeps a core.
    pub fn concurrency() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get() / 2).max(1)
    }

    /// Checks an `Authorization` header value.
    pub async fn check(&self, authorization: Option<&str>) -> Verdict {
        let Some((user, password)) = authorization.and_then(decode_basic) else { return Verdict::Denied };
        let key = self.cache_key(&user, &password);
        if self.inner.verified.lock().is_ok_and(|set| set.contains(&key)) {
            return Verdict::Allowed;
        }
        let known = self.inner.users.get(&user);
        let hash = known.unwrap_or(&self.inner.dummy_hash).clone();
        let slot =
            match tokio::time::timeout(VERIFY_SLOT_WAIT, self.inner.slots.clone().acquire_owned()).await {
                Ok(Ok(slot)) => slot,
                _ => return Verdict::Busy,
            };
        let verified = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            bcrypt::verify(password, &hash).unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        if !(verified && known.is_some()) {
            return Verdict::Denied;
        }
        if let Ok(mut set) = self.inner.verified.lock() {
            if set.len() >= CACHE_CAPACITY {
                set.clear();
            }
            set.insert(key);
        }
        Verdict::Allowed
    }

    fn cache_key(&self, user: &str, password: &str) -> [u8; 32] {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(&self.inner.salt);
        context.update(&(user.len() as u64).to_le_bytes());
        context.update(user.as_bytes());
        context.update(password.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }
}

/// `Basic <base64(user:password)>` with the scheme in any case; `None` for anything else.
fn decode_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn auth_for(user: &str, password: &str, cost: u32) -> BasicAuth {
        let hash = bcrypt::hash(password, cost).expect("hash");
        BasicAuth::new([(user.to_string(), hash)].into()).expect("auth")
    }

    fn header(scheme: &str, user: &str, password: &str) -> String {
        format!("{scheme} {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
    }

    #[test]
    fn checks_user_password_and_scheme() {
        runtime().block_on(async {
            let auth = auth_for("prometheus", "s3cret", 4);
            for scheme in ["Basic", "basic", "BASIC", "bAsIc"] {
                assert_eq!(auth.check(Some(&header(scheme, "prometheus", "s3cret"))).await, Verdict::Allowed);
            }
            assert_eq!(auth.check(Some(&header("Basic", "prometheus", "wrong"))).await, Verdict::Denied);
            assert_eq!(auth.check(Some(&header("Basic", "mallory", "s3cret"))).await, Verdict::Denied);
            assert_eq!(auth.check(Some("Basic !!!not-base64")).await, Verdict::Denied);
            assert_eq!(auth.check(Some(&header("Bearer", "prometheus", "s3cret"))).await, Verdict::Denied);
            assert_eq!(auth.check(Some("Basic")).await, Verdict::Denied);
            assert_eq!(auth.check(None).await, Verdict::Denied);
        });
    }

    #[test]
    fn the_dummy_hash_has_the_users_highest_cost() {
        let auth = BasicAuth::new(
            [
                ("a".to_string(), bcrypt::hash("x", 4).expect("hash")),
                ("b".to_string(), bcrypt::hash("y", 6).expect("hash")),
            ]
            .into(),
        )
        .expect("auth");
        let parts: bcrypt::HashParts = auth.inner.dummy_hash.parse().expect("a bcrypt hash");
        assert_eq!(parts.get_cost(), 6);
    }

    #[test]
    fn a_verified_password_is_cached_and_a_wrong_one_is_not() {
        runtime().block_on(async {
            let auth = auth_for("prometheus", "s3cret", 10);
            let good = header("Basic", "prometheus", "s3cret");
            let started = Instant::now();
            assert_eq!(auth.check(Some(&good)).await, Verdict::Allowed);
            let first = started.elapsed();
            let started = Instant::now();
            for _ in 0..20 {
                assert_eq!(auth.check(Some(&good)).await, Verdict::Allowed);
            }
            let cached = started.elapsed();
            assert!(cached < first, "20 cached checks ({cached:?}) cost less than one bcrypt ({first:?})");
            assert_eq!(auth.inner.verified.lock().expect("lock").len(), 1);
            assert_eq!(auth.check(Some(&header("Basic", "prometheus", "wrong"))).await, Verdict::Denied);
            assert_eq!(auth.inner.verified.lock().expect("lock").len(), 1, "failures are not cached");
        });
    }

    #[test]
    fn a_flood_beyond_the_slots_gets_busy_and_leaves_the_runtime_free() {
        runtime().block_on(async {
            let auth = auth_for("prometheus", "s3cret", 12);
            let wrong = header("Basic", "prometheus", "wrong");
            let flood: Vec<_> = (0..16)
                .map(|_| {
                    let auth = auth.clone();
                    let wrong = wrong.clone();
                    tokio::spawn(async move { auth.check(Some(&wrong)).await })
                })
                .collect();
            // The runtime's workers answer other work while bcrypt runs on blocking threads. Were
            // the 16 cost-12 checks (~250 ms each) run on the two workers, this probe would wait
            // ~2 s; the bound leaves room for a loaded machine's scheduling.
            let started = Instant::now();
            tokio::spawn(tokio::time::sleep(Duration::from_millis(10))).await.expect("probe");
            let stalled = started.elapsed();
            assert!(stalled < Duration::from_secs(1), "runtime stalled: {stalled:?}");
            let mut busy = 0;
            for task in flood {
                match task.await.expect("task") {
                    Verdict::Busy => busy += 1,
                    verdict => assert_eq!(verdict, Verdict::Denied),
                }
            }
            assert!(busy > 0, "16 cost-12 checks cannot all get a slot within {VERIFY_SLOT_WAIT:?}");
        });
    }
}
