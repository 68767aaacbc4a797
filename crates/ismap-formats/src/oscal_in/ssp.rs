//! The parts of an OSCAL system security plan ismap uses: the system's
//! name, what is said per control (by statement and by component, with the
//! implementation status where given), and the authorizations it leverages.
//! FedRAMP 1.0.4 plans and NIST 1.1.x plans read alike.

use serde_json::Value;

use super::document::{Document, Model};

/// What one component does for a control (or one statement of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentResponse {
    /// The statement it answers (`ac-2_smt.a`), `None` for the whole control.
    pub statement_id: Option<String>,
    pub component_uuid: String,
    /// The component's title, when the plan defines the component.
    pub component: Option<String>,
    pub description: String,
    /// `implementation-status/@state`, e.g. `implemented`, `planned`.
    pub status: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplementedRequirement {
    pub control_id: String,
    pub uuid: String,
    /// The requirement's own implementation status: OSCAL's
    /// `implementation-status` or FedRAMP's `implementation-status` prop.
    pub status: Option<String>,
    pub responses: Vec<ComponentResponse>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeveragedAuthorization {
    pub uuid: String,
    pub title: String,
    pub party_uuid: String,
    pub date_authorized: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemSecurityPlan {
    pub uuid: String,
    pub title: String,
    pub oscal_version: String,
    pub system_name: String,
    pub system_name_short: Option<String>,
    pub import_profile: String,
    pub components: usize,
    pub requirements: Vec<ImplementedRequirement>,
    pub leveraged: Vec<LeveragedAuthorization>,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().trim().to_owned()
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn status(object: &Value) -> Option<String> {
    if let Some(state) = object["implementation-status"]["state"].as_str() {
        return Some(state.to_owned());
    }
    list(&object["props"])
        .find(|p| p["name"] == "implementation-status")
        .and_then(|p| p["value"].as_str())
        .map(str::to_owned)
}

/// Reads a system security plan.
pub fn read_ssp(doc: &Document) -> Result<SystemSecurityPlan, String> {
    if doc.model != Model::SystemSecurityPlan {
        return Err(format!(
            "{} is an OSCAL {}, not a system security plan",
            doc.file, doc.model
        ));
    }
    let root = doc.root();
    let components: Vec<&Value> = list(&root["system-implementation"]["components"]).collect();
    let title_of = |uuid: &str| {
        components
            .iter()
            .find(|c| c["uuid"] == uuid)
            .and_then(|c| c["title"].as_str())
            .map(str::to_owned)
    };
    let response = |by: &Value, statement: Option<&str>| {
        let uuid = text(&by["component-uuid"]);
        ComponentResponse {
            statement_id: statement.map(str::to_owned),
            component: title_of(&uuid),
            component_uuid: uuid,
            description: text(&by["description"]),
            status: status(by),
        }
    };
    let requirements = list(&root["control-implementation"]["implemented-requirements"])
        .map(|req| {
            let mut responses: Vec<ComponentResponse> = list(&req["by-components"])
                .map(|by| response(by, None))
                .collect();
            for statement in list(&req["statements"]) {
                let id = statement["statement-id"].as_str();
                responses.extend(list(&statement["by-components"]).map(|by| response(by, id)));
            }
            ImplementedRequirement {
                control_id: text(&req["control-id"]),
                uuid: text(&req["uuid"]),
                status: status(req),
                responses,
            }
        })
        .collect();
    let leveraged = list(&root["system-implementation"]["leveraged-authorizations"])
        .map(|l| LeveragedAuthorization {
            uuid: text(&l["uuid"]),
            title: text(&l["title"]),
            party_uuid: text(&l["party-uuid"]),
            date_authorized: text(&l["date-authorized"]),
        })
        .collect();
    let characteristics = &root["system-characteristics"];
    Ok(SystemSecurityPlan {
        uuid: text(&root["uuid"]),
        title: doc.metadata_str("title").unwrap_or_default().to_owned(),
        oscal_version: doc.oscal_version().unwrap_or_default().to_owned(),
        system_name: text(&characteristics["system-name"]),
        system_name_short: characteristics["system-name-short"]
            .as_str()
            .map(str::to_owned),
        import_profile: text(&root["import-profile"]["href"]),
        components: components.len(),
        requirements,
        leveraged,
    })
}
