//! Pure types and rules. No I/O.

pub mod audit;
pub mod case;
pub mod diary;
pub mod grounds;
pub mod hsa;
pub mod locks;
pub mod personnummer;
pub mod policy;
pub mod review;
pub mod role;
pub mod validate;

pub use hsa::HsaId;
pub use personnummer::Personnummer;
pub use role::Role;
