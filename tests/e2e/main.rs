//! End-to-end tests of the real `stickycalls` binary, started on port 0 against its own
//! test database, driven over HTTP as integrators drive it.

mod account_data;
mod attestation;
mod basic_auth;
mod billing;
mod cli;
mod cluster;
mod customers;
mod errors;
mod hostile;
mod idempotency;
mod identity;
mod limits;
mod logs;
mod mcp;
mod memory;
mod platforms;
mod receiver;
mod reference;
mod retention;
mod rotation;
mod sealing;
mod seeds;
mod settings;
mod sqlite;
mod startup;
mod support;
mod tenant_rotation;
mod tenants;
mod webhooks;
