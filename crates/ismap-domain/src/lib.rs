//! The ISMAP programme's rules as plain types and pure functions.
//!
//! Nothing here reads files, talks to a database or knows about HTTP: every
//! rule can be exercised with values built in a test. The spec is
//! `shared/docs/ismap-domain.md`; comments cite its sections (`spec §3`).

pub mod actor;
pub mod audit;
pub mod audit_work;
pub mod catalog;
pub mod catalog_diff;
pub mod control_id;
pub mod diff;
pub mod finding;
pub mod registration;
pub mod registry;
pub mod review;
pub mod rules;
pub mod statement;
pub mod synthetic;
pub mod upgrade;
pub mod validity;

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
