use std::sync::Arc;

use l2x_air::AirProgram;
use l2x_core::{Program, ProgramId, UnknownProgram};

use crate::{Fibonacci, Merkle, Poseidon2, Sha256, Signatures, Transfers};

/// The programs an executor knows, looked up by id: the built-in ones and any a user adds.
///
/// ```
/// # use l2x_programs::{Fibonacci, Registry};
/// let registry = Registry::standard();
/// assert!(registry.get("sha256").is_ok());
/// // Ids are unique: adding a second `fibonacci` is refused.
/// assert!(registry.with(Fibonacci).is_err());
/// ```
///
/// A program with an AIR ([`Registry::with`]) can be proven by every backend; a program with
/// only a native execution ([`Registry::with_native`]) by the dev backend alone. Cloning is
/// cheap and shares the programs.
#[derive(Clone)]
pub struct Registry {
    entries: Arc<[Entry]>,
}

#[derive(Clone)]
enum Entry {
    Air(Arc<dyn AirProgram>),
    Native(Arc<dyn Program>),
}

impl Entry {
    fn program(&self) -> Arc<dyn Program> {
        match self {
            Entry::Air(p) => p.clone(),
            Entry::Native(p) => p.clone(),
        }
    }

    fn id(&self) -> ProgramId {
        match self {
            Entry::Air(p) => p.id(),
            Entry::Native(p) => p.id(),
        }
    }
}

/// A program could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Another program already has this id: receipts name programs by id, so ids are unique.
    #[error("a program with id '{0}' is already registered")]
    Duplicate(ProgramId),
}

impl Registry {
    /// No programs at all.
    pub fn empty() -> Self {
        Self {
            entries: Arc::new([]),
        }
    }

    /// Every built-in program: `fibonacci`, `sha256`, `poseidon2`, `merkle`, `transfers` and
    /// `signatures`.
    pub fn standard() -> Self {
        let entries: [Entry; 6] = [
            Entry::Air(Arc::new(Fibonacci)),
            Entry::Air(Arc::new(Sha256)),
            Entry::Air(Arc::new(Poseidon2)),
            Entry::Air(Arc::new(Merkle)),
            Entry::Air(Arc::new(Transfers)),
            Entry::Air(Arc::new(Signatures)),
        ];
        Self {
            entries: Arc::new(entries),
        }
    }

    /// This registry with `program` added, provable by every backend.
    pub fn with(self, program: impl AirProgram + 'static) -> Result<Self, RegistryError> {
        self.add(Entry::Air(Arc::new(program)))
    }

    /// This registry with `program` added, which has no AIR: only the dev backend (`trace`)
    /// proves it, and the STARK backends refuse it by name.
    pub fn with_native(self, program: impl Program + 'static) -> Result<Self, RegistryError> {
        self.add(Entry::Native(Arc::new(program)))
    }

    fn add(self, entry: Entry) -> Result<Self, RegistryError> {
        let id = entry.id();
        if self.entries.iter().any(|e| e.id() == id) {
            return Err(RegistryError::Duplicate(id));
        }
        let mut entries = self.entries.to_vec();
        entries.push(entry);
        Ok(Self {
            entries: entries.into(),
        })
    }

    /// The program with this id.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Program>, UnknownProgram> {
        self.entry(name)
            .map(Entry::program)
            .ok_or_else(|| UnknownProgram {
                name: name.chars().take(40).collect(),
                known: self.known(),
            })
    }

    /// The program with this id as the STARK backends need it, if it is registered and has an
    /// AIR.
    pub fn air_program(&self, name: &str) -> Option<Arc<dyn AirProgram>> {
        match self.entry(name)? {
            Entry::Air(p) => Some(p.clone()),
            Entry::Native(_) => None,
        }
    }

    /// The programs with an AIR, in registration order.
    pub fn air_programs(&self) -> impl Iterator<Item = Arc<dyn AirProgram>> + '_ {
        self.entries.iter().filter_map(|e| match e {
            Entry::Air(p) => Some(p.clone()),
            Entry::Native(_) => None,
        })
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id().as_str() == name)
    }

    /// The programs in registration order.
    pub fn iter(&self) -> impl Iterator<Item = Arc<dyn Program>> + '_ {
        self.entries.iter().map(Entry::program)
    }

    fn known(&self) -> String {
        let ids: Vec<String> = self.entries.iter().map(|e| e.id().to_string()).collect();
        ids.join(", ")
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::standard()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(Entry::id))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_program_by_its_id() {
        let registry = Registry::standard();
        for program in registry.iter() {
            assert_eq!(
                registry.get(program.id().as_str()).unwrap().id(),
                program.id()
            );
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let err = Registry::standard()
            .get("keccak9")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("keccak9") && err.contains("fibonacci, sha256"),
            "{err}"
        );
    }

    #[test]
    fn lookups_are_counted_from_the_constraints() {
        use l2x_air::AirProgram;
        let fib = Fibonacci.placeholder_public_values(b"10").unwrap();
        let tables = Fibonacci.tables(&fib, 0).unwrap();
        assert_eq!(
            tables[0].air.lookups_per_row(),
            crate::fibonacci::columns::LIMBS
        );
        assert_eq!(tables[1].air.lookups_per_row(), 1);
        let sha = Sha256.placeholder_public_values(b"abc").unwrap();
        assert_eq!(Sha256.tables(&sha, 0).unwrap()[0].air.lookups_per_row(), 0);
        // A lookup within the table counts too: the chain's, beside the padding lookup and
        // the two range lookups of every message element.
        use crate::poseidon2::columns::{DIGEST, LANES};
        let poseidon2 = crate::Poseidon2.placeholder_public_values(b"abc").unwrap();
        let chain = crate::Poseidon2.tables(&poseidon2, 0).unwrap();
        assert_eq!(chain[0].air.lookups_per_row(), 2 + 2 * DIGEST * LANES);
    }

    #[test]
    fn ids_are_unique_and_native_programs_have_no_air() {
        assert_eq!(
            Registry::standard().with_native(Sha256).err(),
            Some(RegistryError::Duplicate(crate::sha256::ID))
        );
        let registry = Registry::empty().with_native(Sha256).unwrap();
        assert!(registry.get("sha256").is_ok());
        assert!(registry.air_program("sha256").is_none());
        assert!(Registry::standard().air_program("sha256").is_some());
        assert!(Registry::empty().get("fibonacci").is_err());
    }
}
