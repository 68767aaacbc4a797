//! The portal over real HTTP: the real server on a random port, on SQLite
//! and on PostgreSQL. One test binary with a module per area.

mod api;
mod audits;
mod authz;
mod crosswalk;
mod editor;
mod helpers;
mod oidc;
mod registration;
mod sign_in;
