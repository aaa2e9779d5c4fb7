//! The integration tests, as one test binary: one module per area, the harness in `common`.
//! Each test in a `dual!` list runs on SQLite and on PostgreSQL (`module::test::{sqlite,postgres}`).

#[macro_use]
mod common;

mod api;
mod audit_log;
mod auditor;
mod auth_flow;
mod browser;
mod catalog_cases;
mod clientcert;
mod demo;
mod fuzz;
mod hardening;
mod layout;
mod lifecycle;
mod lists;
mod mail;
mod oidc;
mod operations;
mod paper;
mod processes;
mod reads;
mod records;
mod reminders;
mod rules;
mod startpages;
mod stats;
mod workflow;
