//! Page text from the message catalogs, and the frame every page shares.

use ismap_i18n::{Lang, Messages};

use crate::auth::Ctx;
use crate::policy::{Action, allows, event_scope};

pub fn t(lang: Lang, id: &str) -> String {
    Messages::get().text(lang, id, &[])
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What the layout template needs: language, user, navigation, CSRF token.
pub struct Frame {
    pub lang: Lang,
    pub csrf: String,
    pub user_name: Option<String>,
    pub org_name: Option<String>,
    pub nav: Vec<NavItem>,
    /// The current path.
    pub path: String,
    /// The current path and query without `lang=`, for the language switch
    /// to come back to the same page (a search, a confirmation step).
    pub here: String,
}

/// `path` with `query` minus its `lang` parameters (the switch sets the
/// language; a `lang=` left in the address would undo it).
fn here(path: &str, query: Option<&str>) -> String {
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty() && *p != "lang" && !p.starts_with("lang="))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

impl Frame {
    pub fn new(ctx: &Ctx) -> Frame {
        let p = ctx.principal.as_ref();
        let mut nav = vec![("/", "web-nav-home"), ("/catalog", "web-nav-catalog")];
        if allows(p, Action::ListServices, None) {
            nav.push(("/services", "web-nav-services"));
        }
        if p.is_some_and(|p| {
            matches!(
                p.organization.kind,
                ismap_domain::OrgKind::Csp | ismap_domain::OrgKind::AuditOrg
            )
        }) {
            nav.push(("/engagements", "web-nav-engagements"));
        }
        if p.is_some_and(|p| {
            allows(
                Some(p),
                Action::ManageEvidenceLibrary,
                Some(p.organization.id),
            )
        }) {
            nav.push(("/evidence", "web-nav-evidence"));
        }
        if allows(p, Action::ListApplications, None) {
            nav.push(("/applications", "web-nav-applications"));
        }
        nav.push(("/lists/ismap", "web-nav-lists"));
        // Issue 15 (register): agencies' people and the secretariat.
        if crate::policy::allows_register(p, crate::policy::RegisterAction::View, None) {
            nav.push(("/agency/register", "register-nav"));
        }
        // Government bodies only (spec §7.5); nobody else learns of the page.
        if crate::policy::sees_special_measures(p) {
            nav.push(("/special-measures", "special-nav"));
        }
        // Issue 15 (interim): agencies' people and the secretariat.
        if crate::policy::sees_interim(p) {
            nav.push(("/interim-measures", "interim-nav"));
        }
        // Issue 15 (channel): agencies' people and the secretariat.
        if crate::pages::channel::in_nav(p) {
            nav.push(("/inquiries", "channel-nav"));
        }
        nav.push(("/crosswalk", "web-nav-crosswalk"));
        nav.push(("/audit-organizations", "web-nav-audit-orgs"));
        // Issue 15, opsreport: the secretariat's operations report.
        if crate::policy::allows_opsreport(p) {
            nav.push(("/operations-report", "opsreport-nav"));
        }
        if event_scope(p).is_some() {
            nav.push(("/events", "web-nav-events"));
        }
        if p.is_some() {
            nav.push(("/account", "web-nav-account"));
        }
        let nav = nav
            .into_iter()
            .map(|(href, id)| NavItem {
                href,
                label: t(ctx.lang, id),
                current: if href == "/" {
                    ctx.path == "/"
                } else {
                    ctx.path.starts_with(href)
                },
            })
            .collect::<Vec<NavItem>>();
        // Issue 15 (notify): the unread count, read once per request in auth.rs.
        let mut nav = nav;
        if let Some(unread) = ctx.unread_notifications {
            let at = nav
                .iter()
                .position(|i| i.href == "/account")
                .unwrap_or(nav.len());
            nav.insert(at, crate::pages::notify::nav_item(ctx, unread));
        }
        Frame {
            lang: ctx.lang,
            csrf: ctx.csrf.clone(),
            user_name: p.map(|p| p.user.display_name.clone()),
            org_name: p.map(|p| match ctx.lang {
                Lang::Ja => p.organization.name.clone(),
                Lang::En => p.organization.name_en.clone(),
            }),
            nav,
            path: ctx.path.clone(),
            here: here(&ctx.path, ctx.query.as_deref()),
        }
    }

    pub fn t(&self, id: &str) -> String {
        t(self.lang, id)
    }

    /// A message with arguments.
    pub fn tr(&self, id: &str, args: &[(&str, String)]) -> String {
        Messages::get().text(self.lang, id, args)
    }

    /// A statement status (draft, frozen) in the page language.
    pub fn status(&self, status: &str) -> String {
        self.t(&format!("web-status-{status}"))
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// A moment as stored (RFC 3339, UTC) in Japan time for people, inside
    /// `<time datetime="…">`: 2026年12月1日 19:19 / 1 Dec 2026, 19:19.
    /// Text that is not a timestamp is shown as it is (escaped).
    pub fn when<S: Stamp + ?Sized>(&self, at: &S) -> When {
        let raw = at.stamp();
        let text = raw.as_deref().map(|r| when_text(self.lang, r));
        When {
            datetime: raw.unwrap_or_default(),
            text: text.unwrap_or_default(),
        }
    }

    /// The same moment as plain text (for attributes, CSV, messages).
    pub fn when_text<S: Stamp + ?Sized>(&self, at: &S) -> String {
        at.stamp()
            .map(|r| when_text(self.lang, &r))
            .unwrap_or_default()
    }

    /// A calendar day (`2026-12-01`, a `NaiveDate`, or a timestamp, taken in
    /// Japan time): 2026年12月1日 / 1 Dec 2026. Plain text.
    pub fn day<S: Stamp + ?Sized>(&self, date: &S) -> String {
        date.stamp()
            .map(|r| day_text(self.lang, &r))
            .unwrap_or_default()
    }

    /// The label of an enum value or field name, from the catalog id
    /// `label-<kind>-<value>` (dots and underscores become hyphens):
    /// `frame.label("decision", "not_selected")` → 選択しない.
    pub fn label(&self, kind: &str, value: &str) -> String {
        label(self.lang, kind, value)
    }

    /// An activity-feed entry as a sentence with names and a link to the
    /// object: 「山田 花子（株式会社サンプルクラウド）が申請 12（サービス名）を運営委員会に付議しました」.
    pub fn event(&self, e: &ismap_store::events::NamedEvent) -> Markup {
        event_sentence(self.lang, e)
    }

    /// A domain refusal (audit period, scope, control ID, improvement,
    /// review step) in the page's language.
    pub fn refusal(&self, error: &dyn ismap_domain::Localized) -> String {
        Messages::get().localized(self.lang, error)
    }

    /// Japanese or English, as the page is shown.
    pub fn pick<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

pub use ismap_i18n::label_id;

/// The label of an enum value in `lang`; an empty value stays empty and a
/// value without a label is shown as it is (the i18n sweep test catches it).
pub fn label(lang: Lang, kind: &str, value: &str) -> String {
    if value.trim().is_empty() {
        return String::new();
    }
    let messages = Messages::get();
    if !messages.has(lang, &label_id(kind, value)) {
        tracing::debug!(kind, value, "no label in the catalog");
    }
    messages.label(lang, kind, value)
}

/// HTML built from escaped parts; templates write it as it is.
pub struct Markup(pub String);

impl std::fmt::Display for Markup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Markup {}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The catalog id of an event kind's sentence: `event-<action>` with dots
/// and underscores as hyphens.
pub fn event_id(action: &str) -> String {
    format!("event-{}", action.replace(['.', '_'], "-"))
}

/// Where an event's object is shown, if it has a page.
fn event_link(e: &ismap_store::events::NamedEvent) -> Option<String> {
    let ev = &e.event;
    let id = ev.object_id.as_str();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return None;
    }
    match ev.object_type.as_str() {
        "service" => Some(format!("/services/{id}")),
        "statement" => Some(format!("/statements/{id}")),
        "application" => Some(format!("/applications/{id}")),
        "engagement" => Some(format!("/engagements/{id}")),
        "improvement_item" => e
            .object_parent
            .as_deref()
            .map(|engagement| format!("/engagements/{engagement}")),
        "registration" => match (e.object_parent.as_deref(), e.object_name.as_deref()) {
            (Some(list), Some(number)) => Some(format!(
                "/lists/{list}/{}",
                url::form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>()
            )),
            _ => None,
        },
        "catalog" => Some(format!("/catalogs/{id}")),
        // No link: /account/users is not everyone's page.
        "user" => None,
        "api_token" => Some("/account".to_owned()),
        "evidence_item" => Some("/evidence".to_owned()),
        "audit_org_registration" => Some("/audit-organizations".to_owned()),
        "impact_assessment" => Some(format!("/impact-assessments/{id}")),
        "pre_application" => Some(format!("/pre-applications/{id}")),
        "internal_audit" => Some(format!("/internal-audits/{id}")),
        "approval_delegation" => Some("/agency/delegations".to_owned()),
        "special_measure" => Some(format!("/special-measures/{id}")),
        "register_entry" => Some(format!("/agency/register/{id}")),
        "interim_measure" => Some(format!("/interim-measures/{id}")),
        // Issue 15 (channel).
        "inquiry" => Some(format!("/inquiries/{id}")),
        "doubt" => Some(format!("/doubts/{id}")),
        "status_request" => Some(format!("/status-requests/{id}")),
        "notice" => Some(format!("/notices/{id}")),
        _ => None,
    }
}

/// An activity-feed entry as a sentence (see [`Frame::event`]).
pub fn event_sentence(lang: Lang, e: &ismap_store::events::NamedEvent) -> Markup {
    let messages = Messages::get();
    let ev = &e.event;
    let pick = |ja: &Option<String>, en: &Option<String>| -> Option<String> {
        match lang {
            Lang::En => en
                .clone()
                .filter(|t| !t.trim().is_empty())
                .or_else(|| ja.clone()),
            Lang::Ja => ja.clone(),
        }
        .filter(|t| !t.trim().is_empty())
    };
    // Who: the person and their organization, or the system.
    let actor = match (ev.actor_id, e.actor_name.as_deref()) {
        (None, _) => messages.text(lang, "event-actor-system", &[]),
        (Some(_), name) => {
            let name = name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(ev.actor.as_str());
            match pick(&e.actor_org, &e.actor_org_en) {
                Some(org) => messages.text(
                    lang,
                    "event-actor-in-org",
                    &[("name", name.to_owned()), ("org", org)],
                ),
                None => name.to_owned(),
            }
        }
    };
    // What: the object by kind, number and name, linked to its page.
    let kind = ev.object_type.replace('_', "-");
    let name = pick(&e.object_name, &e.object_name_en);
    let object_text = {
        let args = [
            ("id", ev.object_id.clone()),
            ("name", name.clone().unwrap_or_default()),
        ];
        let named = format!("event-object-{kind}-named");
        let plain = format!("event-object-{kind}");
        if name.is_some() && messages.has(lang, &named) {
            messages.text(lang, &named, &args)
        } else if messages.has(lang, &plain) {
            messages.text(lang, &plain, &args)
        } else {
            messages.text(lang, "event-object-other", &args)
        }
    };
    let object = match event_link(e) {
        Some(href) => format!("<a href=\"{}\">{}</a>", escape(&href), escape(&object_text)),
        None => escape(&object_text),
    };
    let id = event_id(&ev.action);
    let id = if messages.has(lang, &id) {
        id
    } else {
        "event-generic".to_owned()
    };
    let mut sentence = messages.text(lang, &id, &[("actor", escape(&actor)), ("object", object)]);
    // Reasons people typed (not the stored defaults of other kinds).
    let typed_reason = ev.action.starts_with("application.")
        || matches!(
            ev.action.as_str(),
            "registration.suspend" | "registration.reinstate" | "user.enable" | "user.disable"
        );
    let reason = ev.reason.trim();
    if typed_reason
        && ev.actor_id.is_some()
        && !reason.is_empty()
        && !reason.ends_with("by an administrator")
    {
        sentence.push_str(&escape(&messages.text(
            lang,
            "event-reason",
            &[("reason", reason.to_owned())],
        )));
    }
    Markup(sentence)
}

/// Something that holds a moment or a day as the store keeps it.
pub trait Stamp {
    /// The stored text, or `None` when there is nothing to show.
    fn stamp(&self) -> Option<String>;
}

impl Stamp for str {
    fn stamp(&self) -> Option<String> {
        let t = self.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }
}

impl Stamp for String {
    fn stamp(&self) -> Option<String> {
        self.as_str().stamp()
    }
}

impl Stamp for chrono::NaiveDate {
    fn stamp(&self) -> Option<String> {
        Some(self.format("%Y-%m-%d").to_string())
    }
}

impl Stamp for chrono::DateTime<chrono::Utc> {
    fn stamp(&self) -> Option<String> {
        Some(self.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

impl<T: Stamp + ?Sized> Stamp for &T {
    fn stamp(&self) -> Option<String> {
        (**self).stamp()
    }
}

impl<T: Stamp> Stamp for Option<T> {
    fn stamp(&self) -> Option<String> {
        self.as_ref().and_then(Stamp::stamp)
    }
}

/// A moment rendered as `<time datetime="…">…</time>`; empty when there is
/// no moment.
pub struct When {
    datetime: String,
    text: String,
}

impl When {
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use askama::filters::Escaper;
        if self.datetime.is_empty() {
            return Ok(());
        }
        f.write_str("<time datetime=\"")?;
        askama::filters::Html.write_escaped_str(&mut *f, &self.datetime)?;
        f.write_str("\">")?;
        askama::filters::Html.write_escaped_str(&mut *f, &self.text)?;
        f.write_str("</time>")
    }
}

impl askama::filters::HtmlSafe for When {}

fn japan() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(9 * 3600).expect("UTC+9 is a valid offset")
}

/// The day in Japan of a stored moment (a report issued at 23:30 UTC was
/// issued on the next day in Japan); `None` for text that is no moment.
pub fn japan_day(raw: &str) -> Option<chrono::NaiveDate> {
    parse_moment(raw).map(|t| t.date_naive())
}

/// A stored moment in Japan time; `None` for text that is no moment.
fn parse_moment(raw: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&japan()));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(Utc.from_utc_datetime(&t).with_timezone(&japan()));
        }
    }
    None
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub(crate) fn format_day(lang: Lang, date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    match lang {
        Lang::Ja => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => format!(
            "{} {} {}",
            date.day(),
            MONTHS[date.month0() as usize],
            date.year()
        ),
    }
}

fn when_text(lang: Lang, raw: &str) -> String {
    let Some(t) = parse_moment(raw) else {
        return match chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => format_day(lang, d),
            Err(_) => raw.to_owned(),
        };
    };
    let day = format_day(lang, t.date_naive());
    let clock = t.format("%H:%M");
    match lang {
        Lang::Ja => format!("{day} {clock}"),
        Lang::En => format!("{day}, {clock}"),
    }
}

fn day_text(lang: Lang, raw: &str) -> String {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return format_day(lang, d);
    }
    match parse_moment(raw) {
        Some(t) => format_day(lang, t.date_naive()),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use ismap_i18n::{Lang, Messages};

    #[test]
    fn a_moment_late_in_the_utc_day_is_the_next_day_in_japan() {
        let day = |raw: &str| super::japan_day(raw).map(|d| d.to_string());
        assert_eq!(day("2026-03-31T15:00:00Z").as_deref(), Some("2026-04-01"));
        assert_eq!(day("2026-03-31T14:59:59Z").as_deref(), Some("2026-03-31"));
        assert_eq!(day("not a moment"), None);
    }

    #[test]
    fn the_language_switch_comes_back_to_the_same_query_without_lang() {
        assert_eq!(super::here("/lists/ismap", None), "/lists/ismap");
        assert_eq!(
            super::here("/lists/ismap", Some("q=IaaS&lang=en&page=2")),
            "/lists/ismap?q=IaaS&page=2"
        );
        assert_eq!(super::here("/x", Some("lang=ja")), "/x");
        assert_eq!(
            super::here("/services/1/apply", Some("draft=abc")),
            "/services/1/apply?draft=abc"
        );
    }

    /// Every message id the templates and pages use exists in Japanese and
    /// English.
    #[test]
    fn every_page_text_is_in_both_catalogs() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut sources = Vec::new();
        for dir in ["templates", "src", "src/pages", "src/api"] {
            for entry in std::fs::read_dir(format!("{root}{dir}")).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    sources.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        let mut ids: Vec<String> = sources
            .iter()
            .flat_map(|text| {
                text.split("t(\"")
                    .skip(1)
                    .map(|rest| rest.split('"').next().unwrap().to_owned())
            })
            .filter(|id| id.starts_with("web-"))
            .collect();
        ids.sort();
        ids.dedup();
        assert!(ids.len() > 50, "found {} ids", ids.len());
        let messages = Messages::get();
        for lang in Lang::ALL {
            let defined = messages.ids(lang);
            for id in &ids {
                assert!(defined.contains(id), "{id} is missing in {lang}");
            }
        }
    }

    #[test]
    fn moments_are_shown_in_japan_time_for_people() {
        use super::{day_text, when_text};
        let at = "2026-12-01T10:19:31.649Z";
        assert_eq!(when_text(Lang::Ja, at), "2026年12月1日 19:19");
        assert_eq!(when_text(Lang::En, at), "1 Dec 2026, 19:19");
        // Past midnight in Japan is the next day; no daylight saving.
        let late = "2026-06-30T15:05:00Z";
        assert_eq!(when_text(Lang::Ja, late), "2026年7月1日 00:05");
        assert_eq!(day_text(Lang::En, late), "1 Jul 2026");
        assert_eq!(
            when_text(Lang::Ja, "2026-12-01 10:19:31"),
            "2026年12月1日 19:19"
        );
        assert_eq!(day_text(Lang::Ja, "2027-01-09"), "2027年1月9日");
        assert_eq!(day_text(Lang::En, "2027-01-09"), "9 Jan 2027");
        assert_eq!(when_text(Lang::Ja, "not a time"), "not a time");
    }

    #[test]
    fn when_renders_a_time_element_that_templates_do_not_escape() {
        use super::Stamp;
        let when = super::When {
            datetime: "2026-12-01T10:19:31.649Z".into(),
            text: "2026年12月1日 19:19".into(),
        };
        assert_eq!(
            when.to_string(),
            "<time datetime=\"2026-12-01T10:19:31.649Z\">2026年12月1日 19:19</time>"
        );
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date.stamp().as_deref(), Some("2026-12-01"));
        assert_eq!(None::<String>.stamp(), None);
        assert_eq!(Some(" ".to_owned()).stamp(), None);
    }

    #[test]
    fn enum_values_have_labels_in_both_languages() {
        use super::{label, label_id};
        assert_eq!(
            label_id("decision", "not_selected"),
            "label-decision-not-selected"
        );
        assert_eq!(
            label_id("field", "service.model"),
            "label-field-service-model"
        );
        assert_eq!(label(Lang::Ja, "decision", "not_selected"), "選択しない");
        assert_eq!(label(Lang::En, "decision", "implemented"), "Implemented");
        assert_eq!(label(Lang::Ja, "field", "individual_control"), "個別管理策");
        assert_eq!(label(Lang::Ja, "result", "not_tested"), "未検証");
        assert_eq!(label(Lang::Ja, "decision", ""), "");
    }

    /// Every value of the enums people see has a label in both languages,
    /// so `frame.label` never falls back to the English key.
    #[test]
    fn every_enum_value_has_a_label() {
        use ismap_domain::audit_work::{AuditResult, EngagementStatus, ImprovementStatus};
        use ismap_domain::review::{ApplicationState, Transition};
        use ismap_domain::{Decision, OrgKind, Role, RuleId, ServiceModel};
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        wanted.extend(Decision::ALL.iter().map(|v| ("decision", v.key())));
        wanted.extend(AuditResult::ALL.iter().map(|v| ("result", v.key())));
        wanted.extend(
            EngagementStatus::ALL
                .iter()
                .map(|v| ("engagement-status", v.key())),
        );
        wanted.extend(
            ImprovementStatus::ALL
                .iter()
                .map(|v| ("improvement-status", v.key())),
        );
        wanted.extend(
            ApplicationState::ALL
                .iter()
                .map(|v| ("application-state", v.key())),
        );
        wanted.extend(Transition::ALL.iter().map(|v| ("transition", v.key())));
        wanted.extend(Role::ALL.iter().map(|v| ("role", v.key())));
        wanted.extend(OrgKind::ALL.iter().map(|v| ("org-kind", v.key())));
        wanted.extend(ServiceModel::ALL.iter().map(|v| ("service-model", v.key())));
        wanted.extend(RuleId::ALL.iter().map(|v| ("rule", v.as_str())));
        let messages = Messages::get();
        for lang in Lang::ALL {
            for (kind, value) in &wanted {
                let id = super::label_id(kind, value);
                assert!(messages.has(lang, &id), "{id} is missing in {lang}");
            }
        }
        assert_eq!(super::label(Lang::Ja, "rule", "INPUT"), "読み取りの問題");
    }

    /// Every kind of event the store records has a sentence in both
    /// catalogs (the feed never falls back to the generic one for them).
    #[test]
    fn every_event_kind_has_a_sentence() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../ismap-store/src");
        let mut actions: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for block in source.split("NewEvent {").skip(1) {
                let Some(start) = block.find("action:") else {
                    continue;
                };
                let end = block.find("object_type:").unwrap_or(block.len());
                if end < start {
                    continue;
                }
                let literals = block[start..end].split('"').skip(1).step_by(2);
                // A `format!` pattern ("x.{step}") names several kinds;
                // the module's own tests cover those.
                actions.extend(
                    literals
                        .filter(|l| l.contains('.') && !l.contains('{'))
                        .map(str::to_owned),
                );
            }
        }
        actions.extend(
            ismap_domain::review::Transition::ALL
                .iter()
                .map(|t| format!("application.{}", t.key())),
        );
        assert!(actions.len() > 30, "found {actions:?}");
        let messages = Messages::get();
        for lang in Lang::ALL {
            for action in &actions {
                let id = super::event_id(action);
                assert!(
                    messages.has(lang, &id),
                    "{id} ({action}) is missing in {lang}"
                );
            }
        }
    }
}
