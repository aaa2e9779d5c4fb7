//! Pure types and rules. No I/O.

pub mod audit;
pub mod audit_review;
pub mod case;
pub mod csv;
pub mod decider;
pub mod diary;
pub mod grounds;
pub mod hsa;
pub mod journal;
pub mod locks;
pub mod login;
pub mod names;
pub mod personnummer;
pub mod policy;
pub mod provider;
pub mod review;
pub mod role;
pub mod validate;

pub use hsa::HsaId;
pub use personnummer::Personnummer;
pub use role::Role;
