//! ismap's files in and out: catalog packs, statements (言明書) in YAML or
//! JSON, registries, and the exports. Everything read here becomes domain
//! types at this edge; every problem names the file, line and field.

pub mod audit_report;
pub mod bundled;
pub mod catalog_export;
pub mod catalog_pack;
pub mod catalog_xlsx;
pub mod cells;
// Issue 14: ISMAP-LIU internal audit records for the coverage check.
pub mod internal_audits;
pub mod limits;
pub mod oscal;
pub mod oscal_assessment;
pub mod register;
pub mod registry_file;
pub mod report;
pub mod source;
pub mod statement_file;
pub mod statement_write;
pub mod statement_xlsx;
pub mod table_xlsx;
pub mod template;
pub mod whole_file;
mod xlsx_in;
mod yaml;

pub use source::{SourceError, SourceProblem};

// Issue 6 (interoperability): the ISMAP ↔ ISO/IEC 27001 ↔ SP 800-53 crosswalk.
pub mod crosswalk_data;
pub mod crosswalk_derive;
pub mod crosswalk_export;
pub mod nist_holdings;
pub mod oscal_in;
pub mod prefill;
