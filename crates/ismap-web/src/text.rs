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
    /// The current path, for the language switch to come back to.
    pub path: String,
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
        nav.push(("/crosswalk", "web-nav-crosswalk"));
        nav.push(("/audit-organizations", "web-nav-audit-orgs"));
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
            .collect();
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

    /// Japanese or English, as the page is shown.
    pub fn pick<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use ismap_i18n::{Lang, Messages};

    /// Every message id the templates and pages use exists in Japanese and
    /// English.
    #[test]
    fn every_page_text_is_in_both_catalogs() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut sources = Vec::new();
        for dir in ["templates", "src", "src/pages"] {
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
}
