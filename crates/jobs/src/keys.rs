//! API keys: who may use a service, and what each may queue.
//!
//! A key's secret is a random 256-bit token shown once, when the key is made; the store keeps
//! only its SHA-256. A token carries 256 bits of entropy, so a plain hash (not a password hash)
//! is enough: nothing short of the token itself is worth guessing. Each key is a *tenant*: the
//! jobs it submits are its own, and its quotas bound what it can make the service hold.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::StoreError;

/// The owner of jobs: an API key's id, or [`OPEN_TENANT`].
pub type TenantId = i64;

/// The tenant of jobs submitted to a service without keys (key ids start at 1).
pub const OPEN_TENANT: TenantId = 0;

/// The SHA-256 of a key's secret: what the store keeps and looks a presented key up by.
pub type KeyHash = [u8; 32];

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Submit jobs and read its own jobs, receipts and aggregates.
    Prove,
    /// Read `/metrics` on a non-loopback address, nothing else.
    Scrape,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 2] = [Role::Prove, Role::Scrape];

    /// The role's name, as stored and as the CLI takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prove => "prove",
            Self::Scrape => "scrape",
        }
    }

    /// The role a name means.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What one key may make the service hold; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quotas {
    /// Jobs of this key not yet finished (queued or running) at once.
    pub max_queued: Option<u64>,
    /// Jobs this key may submit per minute (a token bucket of this size, refilled evenly).
    pub per_minute: Option<u32>,
    /// The largest memory estimate of one job, in bytes.
    pub max_job_memory: Option<u64>,
}

/// A key as the store knows it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// The key's id: the tenant of the jobs it submits.
    pub id: TenantId,
    /// A name for people (unique in the store).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Its quotas.
    pub quotas: Quotas,
    /// When it was made (ms since the Unix epoch).
    pub created_ms: i64,
    /// When it was revoked, if it was: a revoked key is refused like a wrong one.
    pub revoked_ms: Option<i64>,
}

/// A key to make: its secret's hash and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// A name for people (unique in the store).
    pub name: String,
    /// The SHA-256 of its secret ([`Secret::hash`]).
    pub hash: KeyHash,
    /// What it may do.
    pub role: Role,
    /// Its quotas.
    pub quotas: Quotas,
}

/// A key's secret: `l2x_` and 64 hex digits (256 random bits from the operating system).
/// Shown once; its `Debug` does not print it.
pub struct Secret(String);

impl Secret {
    /// The prefix of every secret (so a leaked one is recognised by secret scanners).
    pub const PREFIX: &'static str = "l2x_";

    /// A new secret from the operating system's random source.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| StoreError::NoRandomness(e.to_string()))?;
        Ok(Self(format!("{}{}", Self::PREFIX, hex::encode(bytes))))
    }

    /// The secret, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash the store keeps.
    pub fn hash(&self) -> KeyHash {
        hash_token(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The SHA-256 of a presented token, to look it up by.
pub fn hash_token(token: &str) -> KeyHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Who submits: the tenant and its bound on unfinished jobs, checked in the submit's
/// transaction (so concurrent submits of one tenant cannot pass it together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// The tenant the jobs belong to.
    pub tenant: TenantId,
    /// The most unfinished jobs it may have once these are stored.
    pub max_queued: Option<u64>,
}

impl Owner {
    /// The owner of jobs submitted to a service without keys: no bound.
    pub const OPEN: Owner = Owner {
        tenant: OPEN_TENANT,
        max_queued: None,
    };
}

/// Whose jobs a read may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every job (workers, operators).
    All,
    /// Only this tenant's: another's job reads as missing.
    Tenant(TenantId),
}

impl Scope {
    /// The tenant to filter on, as a nullable SQL parameter (NULL: no filter).
    pub(crate) fn sql(self) -> Option<TenantId> {
        match self {
            Self::All => None,
            Self::Tenant(t) => Some(t),
        }
    }
}

/// Reads a stored quota column (NULL is unlimited; a negative number is corrupt).
pub(crate) fn quota<T: TryFrom<i64>>(
    column: &str,
    value: Option<i64>,
) -> Result<Option<T>, StoreError> {
    value
        .map(|v| T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{column} = {v}"))))
        .transpose()
}

/// A quota as stored.
pub(crate) fn stored<T: Copy>(value: Option<T>) -> Option<i64>
where
    i64: TryFrom<T>,
{
    value.map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

/// A key's stored columns, in [`key_columns`]' order.
pub(crate) struct KeyRow {
    pub id: TenantId,
    pub name: String,
    pub role: String,
    pub max_queued: Option<i64>,
    pub per_minute: Option<i64>,
    pub max_job_memory: Option<i64>,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

impl KeyRow {
    /// The key these columns hold.
    pub fn into_key(self) -> Result<ApiKey, StoreError> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| StoreError::Corrupt(format!("key role {:?}", self.role)))?;
        Ok(ApiKey {
            id: self.id,
            name: self.name,
            role,
            quotas: Quotas {
                max_queued: quota("max_queued", self.max_queued)?,
                per_minute: quota("per_minute", self.per_minute)?,
                max_job_memory: quota("max_job_memory", self.max_job_memory)?,
            },
            created_ms: self.created_ms,
            revoked_ms: self.revoked_ms,
        })
    }
}

/// The columns of a key, in [`KeyRow`]'s order (a macro, for `concat!` into statements that
/// are prepared once).
macro_rules! key_columns {
    () => {
        "id, name, role, max_queued, per_minute, max_job_memory, created_ms, revoked_ms"
    };
}
pub(crate) use key_columns;

#[cfg(test)]
mod tests;
