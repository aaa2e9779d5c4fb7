//! The population register (Personuppgiftsportalen / PU) behind an adapter (SPEC §6). The local
//! implementation reads a JSON file of test persons.

use crate::domain::Personnummer;
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RegisterPerson {
    pub personnummer: String,
    pub name: String,
    #[serde(default)]
    pub protected: bool,
}

pub trait PopulationRegister: Send + Sync {
    /// The person with this number, if the register knows them.
    fn lookup(&self, pnr: &Personnummer) -> Option<RegisterPerson>;
}

/// A register loaded from a file: `[{"personnummer": "…", "name": "…", "protected": false}]`.
#[derive(Debug, Default)]
pub struct FileRegister {
    people: HashMap<String, RegisterPerson>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot read the population register {0}: {1}")]
    Read(String, std::io::Error),
    #[error("the population register {0} is not valid JSON: {1}")]
    Parse(String, serde_json::Error),
    #[error("the population register has an invalid personnummer: {0}")]
    Number(String),
}

/// Test persons for demo mode and development: numbers from the shared test list
/// (`tests/data/personnummer-list.json`) and Tolvan Tolvansson, with made-up names.
const DEMO: &str = include_str!("demo.json");

impl FileRegister {
    /// Reads a register; `today` (from the app's clock) places six-digit birth dates in their
    /// century.
    pub fn from_json(
        text: &str,
        source: &str,
        today: chrono::NaiveDate,
    ) -> Result<Self, RegisterError> {
        let list: Vec<RegisterPerson> =
            serde_json::from_str(text).map_err(|e| RegisterError::Parse(source.into(), e))?;
        let mut people = HashMap::new();
        for mut p in list {
            let pnr = Personnummer::parse(&p.personnummer, today)
                .map_err(|_| RegisterError::Number(p.personnummer.clone()))?;
            p.personnummer = pnr.digits();
            people.insert(pnr.digits(), p);
        }
        Ok(FileRegister { people })
    }

    pub fn from_file(path: &Path, today: chrono::NaiveDate) -> Result<Self, RegisterError> {
        let src = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| RegisterError::Read(src.clone(), e))?;
        Self::from_json(&text, &src, today)
    }

    pub fn demo(today: chrono::NaiveDate) -> Result<Self, RegisterError> {
        Self::from_json(DEMO, "built-in demo register", today)
    }

    pub fn len(&self) -> usize {
        self.people.len()
    }

    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }
}

impl PopulationRegister for FileRegister {
    fn lookup(&self, pnr: &Personnummer) -> Option<RegisterPerson> {
        self.people.get(&pnr.digits()).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_register_loads_and_finds() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let r = FileRegister::demo(today).unwrap_or_default();
        assert!(r.len() >= 5);
        let p = Personnummer::parse("19121212-1212", today).ok();
        let found = p.as_ref().and_then(|p| r.lookup(p));
        assert_eq!(found.map(|f| f.name), Some("Tolvan Tolvansson".to_string()));
        assert!(
            FileRegister::from_json("[{\"personnummer\": \"1\", \"name\": \"x\"}]", "t", today)
                .is_err()
        );
    }
}
