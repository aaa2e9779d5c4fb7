//! Kontospärr: locking and unlocking a citizen's 1177 login on behalf of healthcare staff.
#![deny(clippy::unwrap_used)]

pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod keyfile;
pub mod mail;
pub mod messages;
pub mod register;
pub mod service;
pub mod tls;
pub mod web;
