//! Who is asking: API keys in `Authorization: Bearer <key>`, the tenant each key is, and its
//! quotas.
//!
//! A service whose store holds no key is open (every request is [`OPEN_TENANT`]'s; `l2x serve`
//! allows that on loopback only). Once a key exists every `/v1` request needs one: a missing,
//! unknown or revoked key gets the same 401. A presented key is looked up (in the cache and in
//! the store) by its SHA-256, never by the secret: a lookup's time depends on the hash, which
//! reveals nothing of how much of a guessed secret was right, so no comparison of secrets is
//! left to make in constant time. Valid keys are cached for [`REFRESH`]; revoked and
//! unknown ones are not, so they cost one store lookup each, alike, and a revocation takes
//! effect within [`REFRESH`].

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use l2x_jobs::keys::{KeyHash, hash_token};
use l2x_jobs::{ApiKey, JobStore, OPEN_TENANT, Owner, Quotas, Role, Scope, TenantId};

use super::{ApiError, blocking};

/// How long a key's lookup is trusted: a revoked key is refused, and a new key's quotas apply,
/// within this time.
pub const REFRESH: Duration = Duration::from_secs(1);

/// The caller of a request: its tenant, quotas and submit-rate bucket.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The tenant whose jobs it sees and submits.
    pub tenant: TenantId,
    /// The key's name ("open" without keys), for metrics and logs.
    pub name: Arc<str>,
    /// Its quotas.
    pub quotas: Quotas,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
}

/// Why a submit was over a rate quota.
#[derive(Debug)]
pub enum RateRefusal {
    /// Wait this long.
    Later(Duration),
    /// The batch is larger than the key may submit in a minute: it never fits.
    Never(u32),
}

impl Caller {
    /// The caller of a service without keys.
    fn open() -> Self {
        Self {
            tenant: OPEN_TENANT,
            name: Arc::from("open"),
            quotas: Quotas::default(),
            limiter: None,
        }
    }

    /// The jobs it reads.
    pub fn scope(&self) -> Scope {
        Scope::Tenant(self.tenant)
    }

    /// It as the owner of jobs it submits.
    pub fn owner(&self) -> Owner {
        Owner {
            tenant: self.tenant,
            max_queued: self.quotas.max_queued,
        }
    }

    /// Takes `jobs` from its per-minute bucket.
    pub fn take(&self, jobs: usize) -> Result<(), RateRefusal> {
        let (Some(limiter), Some(n)) = (&self.limiter, NonZeroU32::new(jobs_u32(jobs))) else {
            return Ok(());
        };
        match limiter.check_n(n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(RateRefusal::Later(
                not_until.wait_time_from(DefaultClock::default().now()),
            )),
            Err(_) => Err(RateRefusal::Never(
                self.quotas.per_minute.unwrap_or_default(),
            )),
        }
    }
}

fn jobs_u32(jobs: usize) -> u32 {
    u32::try_from(jobs).unwrap_or(u32::MAX)
}

/// A key found in the store, with the bucket its rate quota keeps across lookups.
#[derive(Debug)]
struct Known {
    key: ApiKey,
    name: Arc<str>,
    limiter: Option<Arc<DefaultDirectRateLimiter>>,
    fetched: Instant,
}

/// The keys a service has seen, and whether it requires one.
#[derive(Debug)]
pub struct Keys {
    store: Arc<dyn JobStore>,
    /// Valid keys by hash (only keys that exist, so bounded by the store's keys).
    known: Mutex<HashMap<KeyHash, Known>>,
    /// Set once the store has a key; never cleared (keys are revoked, not deleted).
    required: AtomicBool,
    /// When the store was last found (or asked again) to have no key; `None` until it answers
    /// once, and while unknown every request asks.
    open_since: Mutex<Option<Instant>>,
}

impl Keys {
    /// The keys of `store`.
    pub fn new(store: Arc<dyn JobStore>) -> Self {
        Self {
            store,
            known: Mutex::new(HashMap::new()),
            required: AtomicBool::new(false),
            open_since: Mutex::new(None),
        }
    }

    /// Whether requests need a key: the store has (or had) one. Until the store has answered
    /// once, every request asks it (none passes as open on a guess); after it answered "none",
    /// one request a [`REFRESH`] asks again while the others go on as before.
    pub async fn required(&self) -> Result<bool, ApiError> {
        if self.required.load(Ordering::Acquire) {
            return Ok(true);
        }
        let ask = {
            let mut open_since = self
                .open_since
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match *open_since {
                None => true,
                Some(at) if at.elapsed() >= REFRESH => {
                    *open_since = Some(Instant::now()); // this request asks; others go on
                    true
                }
                Some(_) => false,
            }
        };
        if ask {
            let store = Arc::clone(&self.store);
            if blocking(move || Ok(store.has_keys()?)).await? {
                self.required.store(true, Ordering::Release);
            } else {
                *self
                    .open_since
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            }
        }
        Ok(self.required.load(Ordering::Acquire))
    }

    /// The valid key `token` is, with `role`; None for a missing, unknown or revoked key, or
    /// one of another role.
    async fn caller(&self, token: &str, role: Role) -> Result<Option<Caller>, ApiError> {
        let hash = hash_token(token);
        let cached = self.cached(&hash);
        let caller = match cached {
            Some(caller) => Some(caller),
            None => self.fetch(hash).await?,
        };
        Ok(caller
            .filter(|(key_role, _)| *key_role == role)
            .map(|(_, c)| c))
    }

    /// A valid key's caller from the cache, if fetched within [`REFRESH`].
    fn cached(&self, hash: &KeyHash) -> Option<(Role, Caller)> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = known.get(hash)?;
        (entry.fetched.elapsed() < REFRESH).then(|| (entry.key.role, caller_of(entry)))
    }

    /// Looks `hash` up in the store and caches it if it is a valid key (dropping it if it was
    /// revoked). The bucket of a key whose rate did not change is kept.
    async fn fetch(&self, hash: KeyHash) -> Result<Option<(Role, Caller)>, ApiError> {
        let store = Arc::clone(&self.store);
        let key = blocking(move || Ok(store.key_by_hash(&hash)?)).await?;
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(key) = key.filter(|k| k.revoked_ms.is_none()) else {
            known.remove(&hash);
            return Ok(None);
        };
        let limiter = known
            .get(&hash)
            .filter(|old| old.key.quotas.per_minute == key.quotas.per_minute)
            .and_then(|old| old.limiter.clone())
            .or_else(|| limiter(key.quotas.per_minute));
        let entry = Known {
            name: Arc::from(key.name.as_str()),
            key,
            limiter,
            fetched: Instant::now(),
        };
        let found = (entry.key.role, caller_of(&entry));
        known.insert(hash, entry);
        Ok(Some(found))
    }
}

fn caller_of(entry: &Known) -> Caller {
    Caller {
        tenant: entry.key.id,
        name: Arc::clone(&entry.name),
        quotas: entry.key.quotas,
        limiter: entry.limiter.clone(),
    }
}

/// A bucket of `per_minute` jobs, refilled evenly over the minute.
fn limiter(per_minute: Option<u32>) -> Option<Arc<DefaultDirectRateLimiter>> {
    let quota = Quota::per_minute(NonZeroU32::new(per_minute?)?);
    Some(Arc::new(DefaultDirectRateLimiter::direct(quota)))
}

/// The bearer token of a request, if it has one.
fn bearer(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The one answer to a request without a valid key (missing, unknown, revoked or of another
/// role alike).
fn unauthorized() -> Response {
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "a valid API key is required: Authorization: Bearer <key>",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Middleware of the `/v1` routes: the request's [`Caller`] from its key (or the open caller
/// when the service has no keys), or 401.
pub(crate) async fn authenticate(
    State(keys): State<Arc<Keys>>,
    mut request: Request,
    next: Next,
) -> Response {
    let caller = match keys.required().await {
        Ok(false) => Some(Caller::open()),
        Ok(true) => match bearer(&request) {
            Some(token) => match keys.caller(token, Role::Prove).await {
                Ok(caller) => caller,
                Err(e) => return e.into_response(),
            },
            None => None,
        },
        Err(e) => return e.into_response(),
    };
    let Some(caller) = caller else {
        return unauthorized();
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Middleware of `/metrics` on a non-loopback address: a key of the scrape role, or 401.
/// (A service without keys has no scrape key to ask for: its `/metrics` stays open.)
pub(crate) async fn scrape(
    State(keys): State<Arc<Keys>>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = match keys.required().await {
        Ok(false) => true,
        Ok(true) => match bearer(&request) {
            Some(token) => match keys.caller(token, Role::Scrape).await {
                Ok(caller) => caller.is_some(),
                Err(e) => return e.into_response(),
            },
            None => false,
        },
        Err(e) => return e.into_response(),
    };
    if !allowed {
        return unauthorized();
    }
    next.run(request).await
}
