//! The portal over real HTTP: the real server on a random port, on SQLite
//! and on PostgreSQL. One test binary with a module per area.

mod accounts;
mod api;
mod audits;
mod authz;
mod bounds;
mod channel;
mod chrome;
mod crosswalk;
mod demo_agency;
mod editor;
mod hardening;
mod helpers;
mod i18n;
mod interim;
mod internal_audits;
mod lists;
mod liu_assessments;
mod liu_plan;
mod notify;
mod oidc;
mod operations_report;
mod races;
mod register;
mod registration;
mod renewals;
mod review;
mod sign_in;
mod special_measures;
mod statement_writes;
mod urls;
