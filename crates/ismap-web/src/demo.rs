//! `ismap serve --demo`: a small world to click through at once — an IaaS
//! provider and a SaaS provider running on it, an audit organization (on
//! the audit organization list, with a manager and an auditor), IPA,
//! the committee, the secretariat, two agencies (one with its CISO) and the
//! Digital Agency, one user per role.

use ismap_domain::{OrgKind, Role, ServiceModel};
use ismap_formats::report::check_statement;
use ismap_formats::statement_file::parse_statement;
use ismap_store::statements::NewRevision;
use ismap_store::users::NewUser;
use ismap_store::{
    Actor, Db, StoreError, audit_orgs, orgs, registrations, services, statements, users,
};

use crate::auth::random_token;
use crate::password;

/// A demo account, with the password generated for this database.
#[derive(Clone, Debug)]
pub struct DemoUser {
    pub username: &'static str,
    pub password: String,
    pub role: Role,
    pub organization: &'static str,
}

const ORGANIZATIONS: &[(&str, &str, OrgKind)] = &[
    ("サンプルIaaS株式会社", "Sample IaaS Corp.", OrgKind::Csp),
    (
        "株式会社サンプルクラウド",
        "Sample Cloud Inc.",
        OrgKind::Csp,
    ),
    ("サンプル監査法人", "Sample Audit LLC", OrgKind::AuditOrg),
    ("独立行政法人情報処理推進機構", "IPA", OrgKind::Ipa),
    (
        "ISMAP運営委員会",
        "ISMAP Steering Committee",
        OrgKind::Committee,
    ),
    (
        "ISMAP運営委員会事務局",
        "ISMAP Secretariat",
        OrgKind::Secretariat,
    ),
    ("サンプル省", "Ministry of Samples", OrgKind::Agency),
    ("サンプル庁", "Agency of Samples", OrgKind::Agency),
    ("デジタル庁", "Digital Agency", OrgKind::DigitalAgency),
];

const USERS: &[(&str, &str, Role, &str)] = &[
    (
        "iaas-admin",
        "IaaS 管理者",
        Role::CspAdmin,
        "サンプルIaaS株式会社",
    ),
    (
        "saas-admin",
        "SaaS 管理者",
        Role::CspAdmin,
        "株式会社サンプルクラウド",
    ),
    (
        "saas-editor",
        "SaaS 言明書担当",
        Role::CspEditor,
        "株式会社サンプルクラウド",
    ),
    ("auditor", "監査人", Role::Auditor, "サンプル監査法人"),
    (
        "audit-manager",
        "監査責任者",
        Role::AuditManager,
        "サンプル監査法人",
    ),
    (
        "reviewer",
        "IPA 審査員",
        Role::Reviewer,
        "独立行政法人情報処理推進機構",
    ),
    (
        "committee",
        "運営委員",
        Role::CommitteeMember,
        "ISMAP運営委員会",
    ),
    (
        "secretariat",
        "事務局員",
        Role::SecretariatOfficer,
        "ISMAP運営委員会事務局",
    ),
    (
        "agency-a",
        "サンプル省 調達担当",
        Role::AgencyOfficer,
        "サンプル省",
    ),
    (
        "agency-b",
        "サンプル庁 調達担当",
        Role::AgencyOfficer,
        "サンプル庁",
    ),
    (
        "agency-a-ciso",
        "サンプル省 CISO",
        Role::AgencyCiso,
        "サンプル省",
    ),
    (
        "digital-agency",
        "デジタル庁 担当者",
        Role::DigitalAgencyOfficer,
        "デジタル庁",
    ),
];

/// The SaaS provider's statement: the valid example of the repository.
const SAAS_STATEMENT: &str = include_str!("../../../examples/saas-valid.yaml");

/// The example's date line. The demo dates the statement `today`: the
/// IaaS it inherits from is registered relative to today, and rule S7 asks
/// that registration to be valid on the statement's date.
const EXAMPLE_DATE_LINE: &str = "\ndate: 2026-04-01\n";

/// The example statement dated `date`.
pub fn example_statement_dated(date: chrono::NaiveDate) -> String {
    assert!(
        SAAS_STATEMENT.contains(EXAMPLE_DATE_LINE),
        "examples/saas-valid.yaml changed its date; update EXAMPLE_DATE_LINE"
    );
    SAAS_STATEMENT.replacen(EXAMPLE_DATE_LINE, &format!("\ndate: {date}\n"), 1)
}

/// Prepares the demo: seeds the world into an empty database, or, in a demo
/// database seeded before, gives the demo accounts fresh passwords (so the
/// ones printed at this start work). Refuses a database that is not a demo.
/// `programme_start` dates the interim measures of services in use when the
/// programme started (`Config::programme_start`).
pub async fn prepare(
    db: &Db,
    programme_start: chrono::NaiveDate,
) -> Result<Vec<DemoUser>, StoreError> {
    if users::count(db).await? == 0 {
        return seed(db, programme_start).await;
    }
    let actor = Actor::system("demo start");
    let mut accounts = Vec::new();
    for (username, _, role, org_name) in USERS {
        let Some((user, _)) = users::find_for_sign_in(db, username).await? else {
            return Err(StoreError::Conflict(format!(
                "this database has users but no demo account {username:?}; run the demo on a fresh --database-url"
            )));
        };
        let password = new_password();
        let hash = password::hash(&password).map_err(StoreError::Conflict)?;
        users::set_password(
            db,
            &actor,
            &user,
            &hash,
            "demo restarted: new password printed",
        )
        .await?;
        accounts.push(DemoUser {
            username,
            password,
            role: *role,
            organization: org_name,
        });
    }
    Ok(accounts)
}

fn new_password() -> String {
    format!("demo-{}", &random_token()[..16])
}

async fn seed(db: &Db, programme_start: chrono::NaiveDate) -> Result<Vec<DemoUser>, StoreError> {
    let actor = Actor::system("demo seed");
    for (name, name_en, kind) in ORGANIZATIONS {
        orgs::create(db, &actor, name, name_en, *kind).await?;
    }
    let mut accounts = Vec::new();
    for (username, display, role, org_name) in USERS {
        let organization = orgs::find_by_name(db, org_name)
            .await?
            .ok_or_else(|| StoreError::NotFound((*org_name).to_owned()))?;
        let password = new_password();
        let hash = password::hash(&password).map_err(StoreError::Conflict)?;
        users::create(
            db,
            &actor,
            NewUser {
                username,
                display_name: display,
                // Issue 15: demo mail lands in the Maildir (example.jp is
                // reserved for examples; nothing is sent out).
                email: &format!("{username}@example.jp"),
                password_hash: Some(&hash),
            },
            &organization,
            *role,
        )
        .await?;
        accounts.push(DemoUser {
            username,
            password,
            role: *role,
            organization: org_name,
        });
    }
    // The audit organization is on the list, in the middle of its term.
    let audit_org = orgs::find_by_name(db, "サンプル監査法人")
        .await?
        .expect("seeded");
    let today = crate::today();
    let term_start = today
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(today);
    audit_orgs::register(db, &actor, audit_org.id, term_start).await?;
    let iaas_org = orgs::find_by_name(db, "サンプルIaaS株式会社")
        .await?
        .expect("seeded");
    let iaas = services::create(
        db,
        &actor,
        services::NewService {
            organization_id: iaas_org.id,
            name: "サンプルIaaS (Example IaaS)",
            model: ServiceModel::IaaS,
            description: "仮想サーバ、ブロックストレージ、鍵管理サービスを提供するIaaS。",
            url: "https://iaas.example.jp",
            registration_number: Some("C21-0008-2"),
        },
    )
    .await?;
    // The IaaS is on the ISMAP list (renewed once), valid today.
    let number: ismap_domain::RegistrationNumber = "C21-0008-2".parse().expect("a valid number");
    let valid_from = today
        .checked_sub_months(chrono::Months::new(6))
        .unwrap_or(today);
    let public = serde_json::json!({
        "service_url": "https://iaas.example.jp",
        "provider_address": "東京都千代田区サンプル一丁目1番1号",
        "scope": "仮想サーバ、ブロックストレージ、鍵管理サービス（東京・大阪リージョン）",
        "implemented_objectives": [],
        "audit_period": { "start": "", "end": "" },
        "subsequent_events": "",
        "procurer_risk_information": { "regions": "東京、大阪" },
    });
    registrations::record_existing(
        db,
        &actor,
        registrations::ExistingRegistration {
            service_id: iaas.id,
            organization_id: iaas_org.id,
            list: ismap_domain::registration::ListKind::Ismap,
            number: &number,
            details: registrations::NewRegistration {
                valid_from,
                valid_until: ismap_domain::validity::period_end(valid_from, 16).unwrap_or(today),
                registered_on: valid_from,
                improvement_plan: false,
                name: "サンプルIaaS (Example IaaS)",
                name_en: "Example IaaS",
                provider: "サンプルIaaS株式会社",
                provider_en: "Sample IaaS Corp.",
                model: "IaaS",
                public: &public,
            },
        },
    )
    .await?;
    let saas_org = orgs::find_by_name(db, "株式会社サンプルクラウド")
        .await?
        .expect("seeded");
    let saas = services::create(
        db,
        &actor,
        services::NewService {
            organization_id: saas_org.id,
            name: "サンプル文書管理SaaS (Example SaaS)",
            model: ServiceModel::SaaS,
            description: "サンプルIaaS上で稼働する文書管理SaaS（パターン2）。",
            url: "https://saas.example.jp",
            registration_number: None,
        },
    )
    .await?;
    let content = example_statement_dated(today);
    let parsed = parse_statement("examples/saas-valid.yaml", &content)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let catalogs = ismap_formats::bundled::bundled_catalogs();
    let catalog_refs: Vec<_> = catalogs.iter().collect();
    let registry = registrations::registry(db).await?;
    let report = check_statement(&parsed, &catalog_refs, Some(&registry));
    statements::create(
        db,
        &actor,
        saas.id,
        saas_org.id,
        &parsed.statement.catalog,
        NewRevision {
            content: &content,
            comment: "demo: the valid example statement",
            errors: report.errors() as i64,
            warnings: report.warnings() as i64,
        },
    )
    .await?;
    // Issue 15: the agencies' register, interim measures, inquiry, doubt
    // and notice (counted from the default programme start).
    crate::demo_agency::seed(db, today, programme_start).await?;
    Ok(accounts)
}
