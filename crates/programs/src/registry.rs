use l2x_core::{Program, UnknownProgram};

use crate::air::AirProgram;
use crate::{Fibonacci, Sha256};

/// The programs this build can run, looked up by id.
#[derive(Clone, Copy)]
pub struct Registry {
    programs: &'static [&'static dyn Program],
}

static STANDARD: &[&dyn Program] = &[&Fibonacci, &Sha256];

/// The programs with an AIR, which the STARK backend can prove.
static WITH_AIR: &[&dyn AirProgram] = &[&Fibonacci, &Sha256];

impl Registry {
    /// Every built-in program.
    pub const fn standard() -> Self {
        Self { programs: STANDARD }
    }

    /// The program with this id.
    pub fn get(&self, name: &str) -> Result<&'static dyn Program, UnknownProgram> {
        self.programs
            .iter()
            .copied()
            .find(|p| p.id().as_str() == name)
            .ok_or_else(|| UnknownProgram {
                name: name.chars().take(40).collect(),
                known: self.known(),
            })
    }

    /// The program with this id as the STARK backend needs it, if it has an AIR.
    pub fn air_program(&self, name: &str) -> Option<&'static dyn AirProgram> {
        WITH_AIR.iter().copied().find(|p| p.id().as_str() == name)
    }

    /// The programs in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn Program> + use<> {
        self.programs.iter().copied()
    }

    fn known(&self) -> String {
        let ids: Vec<String> = self.iter().map(|p| p.id().to_string()).collect();
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
        f.debug_list().entries(self.iter().map(|p| p.id())).finish()
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
}
