//! The ISMAP programme's rules as plain types and pure functions.
//!
//! Nothing here reads files, talks to a database or knows about HTTP: every
//! rule can be exercised with values built in a test. The spec is
//! `shared/docs/ismap-domain.md`; comments cite its sections (`spec §3`).

pub mod actor;
pub mod application_rules;
pub mod audit;
pub mod audit_work;
pub mod catalog;
pub mod catalog_diff;
pub mod channel;
pub mod control_id;
pub mod diff;
pub mod finding;
pub mod impact;
pub mod input;
pub mod interim;
pub mod liu;
pub mod operations_report;
pub mod pre_application;
pub mod procurement;
pub mod register;
pub mod registration;
pub mod registry;
pub mod review;
pub mod rules;
pub mod schedule;
pub mod special_measures;
pub mod statement;
pub mod synthetic;
pub mod upgrade;
pub mod validity;

/// A message a person reads, as a catalog id and its arguments: the
/// portal renders it in the reader's language through the message
/// catalogs (`ismap_i18n::Messages::localized`); `Display` stays the
/// English text the command line and logs use. Arguments named `date`,
/// `start`, `end`, `latest`, `due` and `issued` are days (YYYY-MM-DD),
/// `from` an application state key and `transition` a transition key; the
/// catalogs show them as people read them.
pub trait Localized {
    fn message_id(&self) -> &'static str;
    fn message_args(&self) -> Vec<(&'static str, String)>;
}

pub use actor::{OrgKind, Role};
pub use catalog::{Catalog, Category, Chapter, Control, Criteria, Origin, Text};
pub use control_id::{ControlId, ControlIdError, Level, Suffix};
pub use finding::{Finding, FindingKind, RuleId, Severity};
pub use registry::{Registration, RegistrationNumber, Registry};
pub use statement::{ControlDecision, Decision, ServiceModel, Statement};

// Issue 6 (interoperability): ISMAP ↔ ISO/IEC 27001 ↔ NIST SP 800-53.
pub mod crosswalk;
pub mod framework_id;
pub mod reference_framework;
pub use reference_framework::{ReferenceControl, ReferenceFramework};
