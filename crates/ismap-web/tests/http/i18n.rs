//! Japanese mode never shows English (issue 13): every page a role reaches
//! from its navigation and dashboard, and the error answers of its forms,
//! rendered in Japanese on a real server, checked for raw catalog ids,
//! English enum names and raw UTC timestamps; activity feeds are sentences
//! with names, links and Japan time.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use ismap_domain::audit_work::{AuditResult, EngagementStatus, ImprovementStatus};
use ismap_domain::review::{ApplicationState, Transition};
use ismap_domain::{Decision, OrgKind, Role};
use ismap_i18n::{Lang, Messages};
use ismap_store::{Backend, events};
use ismap_web::testing::TestServer;

use crate::helpers::{BACKENDS, Client, server};

/// The demo accounts the sweep signs in as (`None`: a visitor).
const ROLES: [Option<&str>; 10] = [
    None,
    Some("iaas-admin"),
    Some("saas-admin"),
    Some("saas-editor"),
    Some("auditor"),
    Some("audit-manager"),
    Some("reviewer"),
    Some("committee"),
    Some("secretariat"),
    Some("agency-a"),
];

/// Pages visited per role at most, and per page shape (the path with every
/// segment holding a digit generalized): the crawl stays bounded on lists
/// with thousands of entries.
const MAX_PAGES: usize = 120;
const MAX_PER_SHAPE: usize = 2;

/// Links never followed: leaving the session or the language, files and
/// machine formats.
fn skipped(path: &str) -> bool {
    let p = path.split(['?', '#']).next().unwrap_or(path);
    path.contains("lang=")
        || p.starts_with("/signout")
        || p.starts_with("/lang/")
        || p.starts_with("/assets/")
        || p.starts_with("/api/")
        || p.starts_with("/files/")
        || p.starts_with("/auth/")
        || p.starts_with("/healthz")
        || [
            "export", "download", ".csv", ".xlsx", ".atom", ".json", ".yaml", "oscal", "/xlsx",
        ]
        .iter()
        .any(|s| p.contains(s))
}

/// Forms whose empty answer is not sent: they end the session, destroy,
/// freeze, decide or issue something (a refusal is what the sweep wants,
/// and these may succeed with their hidden fields alone).
fn form_skipped(action: &str) -> bool {
    [
        "signout",
        "destroy",
        "revoke",
        "freeze",
        "delete",
        "suspension",
        "transitions",
        "/active",
        "/lang",
        "renew",
        "/reports",
        "upgrade",
        "/status",
        "signin",
        "/auditors",
    ]
    .iter()
    .any(|s| action.contains(s))
}

fn shape(path: &str) -> String {
    let p = path.split('#').next().unwrap_or(path);
    let (path, query) = p.split_once('?').unwrap_or((p, ""));
    let mut s: String = path
        .split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) {
                "*"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    if !query.is_empty() {
        s.push_str("?…");
    }
    s
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Removes `<tag …>…</tag>` blocks (case-insensitive).
fn strip_blocks(html: &str, tag: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let name = tag.split(' ').next().unwrap_or(tag);
    let close = format!("</{name}>");
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    while let Some(start) = lower[at..].find(&open).map(|i| i + at) {
        out.push_str(&html[at..start]);
        match lower[start..].find(&close) {
            Some(end) => at = start + end + close.len(),
            None => {
                at = html.len();
                break;
            }
        }
    }
    out.push_str(&html[at..]);
    out
}

/// The text a person sees: no scripts, styles, comments, tags or
/// attributes (so no hidden inputs, no `<time datetime>`). Identifiers
/// marked `<code translate="no">` (user names) are not language text.
pub fn visible_text(html: &str) -> String {
    let mut html = strip_blocks(html, "script");
    html = strip_blocks(&html, "style");
    html = strip_blocks(&html, "code class=\"username\" translate=\"no\"");
    // Comments.
    while let Some(start) = html.find("<!--") {
        let end = html[start..]
            .find("-->")
            .map(|e| start + e + 3)
            .unwrap_or(html.len());
        html.replace_range(start..end, " ");
    }
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    for c in html.chars() {
        if in_tag {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '>') => {
                    in_tag = false;
                    text.push(' ');
                }
                _ => {}
            }
        } else if c == '<' {
            in_tag = true;
        } else {
            text.push(c);
        }
    }
    decode_entities(&text)
}

/// The attribute `name` of every `<tag …>` in `html`, in order.
fn attributes(html: &str, tag: &str, name: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find(&open).map(|i| i + at) {
        let end = lower[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(lower.len());
        let after = lower.as_bytes().get(start + open.len()).copied();
        if matches!(after, Some(b' ' | b'\n' | b'\t' | b'>' | b'/'))
            && let Some(value) = attribute(&html[start..end], name)
        {
            out.push(decode_entities(&value));
        }
        at = end.max(start + 1);
    }
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let i = lower[from..].find(name)? + from;
        let before = lower.as_bytes().get(i.wrapping_sub(1)).copied();
        let rest = &tag[i + name.len()..];
        if matches!(before, Some(b' ' | b'\n' | b'\t')) && rest.trim_start().starts_with('=') {
            let rest = rest.trim_start()[1..].trim_start();
            let q = rest.chars().next()?;
            if q == '"' || q == '\'' {
                let body = &rest[1..];
                return Some(body[..body.find(q)?].to_owned());
            }
            let end = rest.find([' ', '>', '\n']).unwrap_or(rest.len());
            return Some(rest[..end].to_owned());
        }
        from = i + name.len();
    }
}

/// Every `hx-get="…"` in `html`: fragments loaded on demand.
fn hx_gets(html: &str) -> Vec<String> {
    html.split("hx-get=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(decode_entities)
        .collect()
}

/// A form on a page: where it goes, whether htmx sends it, and its fields
/// (hidden ones with their values, the others empty).
struct Form {
    action: String,
    htmx: bool,
    fields: Vec<(String, String)>,
}

fn forms(html: &str, page: &str) -> Vec<Form> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<form").map(|i| i + at) {
        let Some(end) = lower[start..].find("</form>").map(|e| start + e) else {
            break;
        };
        let tag_end = lower[start..].find('>').map(|e| start + e).unwrap_or(end);
        let tag = &html[start..tag_end];
        let method = attribute(tag, "method").unwrap_or_default();
        let hx = attribute(tag, "hx-post");
        let action = hx
            .clone()
            .or_else(|| attribute(tag, "action"))
            .unwrap_or_else(|| page.to_owned());
        let post = method.eq_ignore_ascii_case("post") || hx.is_some();
        if post && action.starts_with('/') {
            let body = &html[tag_end..end];
            let mut fields = Vec::new();
            for kind in ["input", "textarea"] {
                let lower_body = body.to_ascii_lowercase();
                let mut i = 0;
                let open = format!("<{kind}");
                while let Some(s) = lower_body[i..].find(&open).map(|x| x + i) {
                    let e = lower_body[s..]
                        .find('>')
                        .map(|x| s + x)
                        .unwrap_or(body.len());
                    let t = &body[s..e];
                    if let Some(name) = attribute(t, "name") {
                        let ty = attribute(t, "type")
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        if ty == "hidden" {
                            fields.push((
                                name,
                                decode_entities(&attribute(t, "value").unwrap_or_default()),
                            ));
                        } else if ty == "checkbox" || ty == "radio" {
                            // As a browser sends them: only what is checked.
                            if attribute(t, "checked").is_some() || t.contains(" checked") {
                                fields.push((
                                    name,
                                    decode_entities(
                                        &attribute(t, "value").unwrap_or_else(|| "on".into()),
                                    ),
                                ));
                            }
                        } else if ty != "file" && ty != "submit" && ty != "button" {
                            fields.push((name, String::new()));
                        }
                    }
                    i = e.max(s + 1);
                }
            }
            // The first submit button with a name, as pressing it sends it.
            if let Some(button) = attributes(body, "button", "name").first() {
                let lower_body = body.to_ascii_lowercase();
                if let Some(b) = lower_body.find("<button") {
                    let e = lower_body[b..]
                        .find('>')
                        .map(|x| b + x)
                        .unwrap_or(body.len());
                    let value = attribute(&body[b..e], "value").unwrap_or_default();
                    fields.push((button.clone(), decode_entities(&value)));
                }
            }
            // Inputs outside the form that htmx includes (`hx-include="#a, #b"`).
            if let Some(include) = attribute(tag, "hx-include") {
                for id in include
                    .split(',')
                    .filter_map(|i| i.trim().strip_prefix('#'))
                {
                    let marker = format!("id=\"{id}\"");
                    if let Some(at) = html.find(&marker) {
                        let start = html[..at].rfind('<').unwrap_or(at);
                        let end = html[at..].find('>').map(|x| at + x).unwrap_or(html.len());
                        let element = &html[start..end];
                        if let Some(name) = attribute(element, "name") {
                            fields.push((
                                name,
                                decode_entities(&attribute(element, "value").unwrap_or_default()),
                            ));
                        }
                    }
                }
            }
            // A select sends its selected option, else its first one.
            let lower_body = body.to_ascii_lowercase();
            let mut i = 0;
            while let Some(s) = lower_body[i..].find("<select").map(|x| x + i) {
                let e = lower_body[s..]
                    .find("</select>")
                    .map(|x| s + x)
                    .unwrap_or(body.len());
                let select = &body[s..e];
                let tag_end = select.find('>').unwrap_or(select.len());
                if let Some(name) = attribute(&select[..tag_end], "name") {
                    let mut options = Vec::new();
                    let mut j = 0;
                    let lower_select = select.to_ascii_lowercase();
                    while let Some(o) = lower_select[j..].find("<option").map(|x| x + j) {
                        let oe = lower_select[o..]
                            .find('>')
                            .map(|x| o + x)
                            .unwrap_or(select.len());
                        let tag = &select[o..oe];
                        let text_end = lower_select[oe..]
                            .find('<')
                            .map(|x| oe + x)
                            .unwrap_or(select.len());
                        let value = attribute(tag, "value").unwrap_or_else(|| {
                            select[(oe + 1).min(text_end)..text_end].trim().to_owned()
                        });
                        options.push((tag.contains(" selected"), decode_entities(&value)));
                        j = oe.max(o + 1);
                    }
                    let chosen = options
                        .iter()
                        .find(|(selected, _)| *selected)
                        .or(options.first())
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default();
                    fields.push((name, chosen));
                }
                i = e.max(s + 1);
            }
            out.push(Form {
                action: decode_entities(&action),
                htmx: hx.is_some(),
                fields,
            });
        }
        at = end;
    }
    out
}

/// English names people must never see in Japanese: the domain's enum
/// keys and the statement's field names.
fn deny_list() -> BTreeSet<String> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    words.extend(Decision::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(AuditResult::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(EngagementStatus::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(ImprovementStatus::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(ApplicationState::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(Transition::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(Role::ALL.iter().map(|d| d.key().to_owned()));
    words.extend(OrgKind::ALL.iter().map(|d| d.key().to_owned()));
    for field in [
        "individual_control",
        "confirmation",
        "risk_ids",
        "zero_trust",
        "multi_year",
        "not_tested",
        "draft",
        "frozen",
        "INPUT",
    ] {
        words.insert(field.to_owned());
    }
    // Ordinary words that are also keys would flag English prose in user
    // content (service descriptions) and brand names; the snake_case and
    // status words above stay.
    for common in [
        "open",
        "answer",
        "accept",
        "register",
        "reject",
        "withdraw",
        "csp",
        "ipa",
        "agency",
        "committee",
    ] {
        words.remove(common);
    }
    words
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    kind: &'static str,
    shape: String,
    what: String,
    example: String,
}

/// What `text` shows that a Japanese reader must not see. `prose`: also
/// English sentences (five English words in a row), checked on the
/// server's answers to forms, where any text is the server's own (pages
/// also show what people typed, in any language).
fn check(
    text: &str,
    shape: &str,
    url: &str,
    ids: &HashSet<String>,
    deny: &BTreeSet<String>,
    prose: bool,
) -> Vec<Violation> {
    let mut found = Vec::new();
    let push = |found: &mut Vec<Violation>, kind, what: &str| {
        found.push(Violation {
            kind,
            shape: shape.to_owned(),
            what: what.to_owned(),
            example: url.to_owned(),
        })
    };
    // Tokens of ASCII letters, digits, '-', '_'.
    for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
        if token.is_empty() {
            continue;
        }
        let trimmed = token.trim_matches('-');
        if ids.contains(trimmed)
            || (trimmed.starts_with("web-")
                && trimmed.len() > 4
                && trimmed[4..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'))
        {
            push(&mut found, "catalog id", trimmed);
        }
        for word in trimmed.split('-') {
            if deny.contains(word) {
                push(&mut found, "English enum name", word);
            }
        }
    }
    // English prose: five or more English words in a row.
    let mut run: Vec<&str> = Vec::new();
    let flush = |run: &mut Vec<&str>, found: &mut Vec<Violation>| {
        if prose && run.len() >= 5 {
            found.push(Violation {
                kind: "English sentence",
                shape: shape.to_owned(),
                what: run.join(" "),
                example: url.to_owned(),
            });
        }
        run.clear();
    };
    for word in text.split(|c: char| c.is_whitespace()) {
        let w = word.trim_matches(|c: char| {
            matches!(
                c,
                ',' | '.' | ':' | ';' | '(' | ')' | '"' | '\'' | '!' | '?'
            )
        });
        if !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '\'' || c == '-')
            && w.chars().any(|c| c.is_ascii_lowercase())
        {
            run.push(w);
        } else if !word.is_empty() {
            flush(&mut run, &mut found);
        }
    }
    flush(&mut run, &mut found);
    // A raw timestamp: dddd-dd-ddTdd:
    let bytes = text.as_bytes();
    for i in 0..bytes.len().saturating_sub(13) {
        let w = &bytes[i..i + 14];
        let d = |j: usize| w[j].is_ascii_digit();
        if d(0)
            && d(1)
            && d(2)
            && d(3)
            && w[4] == b'-'
            && d(5)
            && d(6)
            && w[7] == b'-'
            && d(8)
            && d(9)
            && (w[10] == b'T' || w[10] == b' ')
            && d(11)
            && d(12)
            && w[13] == b':'
        {
            let end = (i + 24).min(bytes.len());
            push(
                &mut found,
                "raw UTC time",
                &String::from_utf8_lossy(&bytes[i..end]),
            );
        }
    }
    found
}

fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Crawls what `client` reaches from `/` (GET only, same site, bounded),
/// sends each form's empty answer once, and returns what it found.
async fn sweep(
    client: &Client<'_>,
    ids: &HashSet<String>,
    deny: &BTreeSet<String>,
) -> (usize, Vec<Violation>) {
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_owned()]);
    let mut seen: HashSet<String> = HashSet::from(["/".to_owned()]);
    let mut per_shape: BTreeMap<String, usize> = BTreeMap::new();
    let mut forms_sent: HashSet<String> = HashSet::new();
    let mut violations = Vec::new();
    let mut pages = 0;
    while let Some(path) = queue.pop_front() {
        if pages >= MAX_PAGES {
            break;
        }
        let response = client.get(&path).await;
        let status = response.status();
        if status.is_redirection() {
            if let Some(to) = location(&response)
                && to.starts_with('/')
                && !skipped(&to)
                && seen.insert(to.clone())
            {
                queue.push_back(to);
            }
            continue;
        }
        let is_html = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !is_html {
            continue;
        }
        pages += 1;
        let html = response.text().await.expect("page");
        let page_shape = shape(&path);
        violations.extend(check(
            &visible_text(&html),
            &page_shape,
            &path,
            ids,
            deny,
            false,
        ));
        let mut links = attributes(&html, "a", "href");
        links.extend(hx_gets(&html));
        for href in links {
            let href = href.split('#').next().unwrap_or_default().to_owned();
            if !href.starts_with('/') || href.starts_with("//") || skipped(&href) {
                continue;
            }
            let s = shape(&href);
            let count = per_shape.entry(s).or_default();
            if *count >= MAX_PER_SHAPE || seen.contains(&href) {
                continue;
            }
            *count += 1;
            seen.insert(href.clone());
            queue.push_back(href);
        }
        // Each form's answer to empty input, once per form shape.
        for form in forms(&html, &path) {
            let key = shape(&form.action);
            if form_skipped(&form.action) || !forms_sent.insert(key.clone()) {
                continue;
            }
            let csrf = client.csrf().await;
            let mut fields = form.fields.clone();
            fields.retain(|(k, _)| k != "csrf");
            fields.push(("csrf".to_owned(), csrf.clone()));
            let mut request = client
                .http
                .post(client.server.url(&form.action))
                .header("x-csrf-token", csrf)
                .form(&fields);
            if form.htmx {
                request = request.header("hx-request", "true");
            }
            let answer = request.send().await.expect("form answer");
            if answer.status().is_redirection() {
                continue;
            }
            let body = answer.text().await.unwrap_or_default();
            violations.extend(check(
                &visible_text(&body),
                &format!("POST {key}"),
                &format!("POST {} (from {path})", form.action),
                ids,
                deny,
                true,
            ));
        }
    }
    (pages, violations)
}

/// Gives the demo world an audit with an issued report, an improvement
/// plan and an application under review with open questions, so the sweep
/// sees those pages filled. Everything over HTTP as in the other tests.
async fn world(server: &TestServer) {
    let e = crate::registration::reported(server).await;
    let (service, _) = crate::helpers::saas_ids(server).await;
    let provider = Client::new(server);
    provider.sign_in("saas-admin").await;
    let planned = provider
        .post_form(
            &format!("/engagements/{e}/improvements"),
            &[
                ("control", "8.1.2.7.PB"),
                ("measure", "顧客管理鍵を提供する"),
                ("due_date", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(planned.status(), 303);
    let app = crate::registration::confirm_and_file(
        &provider,
        service,
        crate::registration::application_form(e, true),
    )
    .await;
    let reviewer = Client::new(server);
    reviewer.sign_in("reviewer").await;
    for fields in [
        &[("transition", "start_acceptance")][..],
        &[("transition", "accept")][..],
        &[
            ("transition", "request_information"),
            ("reason", "基本言明要件 8.1.2.7.PB"),
            ("questions", "顧客管理鍵の提供時期を示してください。"),
            ("due_date", "2099-02-28"),
        ][..],
    ] {
        let moved = reviewer
            .post_form(&format!("/applications/{app}/transitions"), fields)
            .await;
        assert_eq!(moved.status(), 303, "{fields:?}");
    }
    // Issue 15 (channel): an inquiry, a doubt, a status request and a notice.
    crate::channel::authz_fixture(server).await;
}

/// Every page each role reaches, and its forms' error answers, in Japanese:
/// no catalog ids, no English enum names, no raw UTC timestamps.
#[tokio::test]
async fn every_page_in_japanese_shows_no_ids_enum_names_or_utc_times() {
    let server = server(Backend::Sqlite).await;
    world(&server).await;
    let messages = Messages::get();
    let ids: HashSet<String> = messages.ids(Lang::Ja).into_iter().collect();
    let deny = deny_list();
    assert!(deny.contains("not_selected") && deny.contains("individual_control"));
    let mut report: BTreeMap<(&'static str, String, String), (String, Vec<&str>)> = BTreeMap::new();
    let mut total_pages = 0;
    for role in ROLES {
        let client = Client::new(&server);
        if let Some(user) = role {
            client.sign_in(user).await;
        }
        let (pages, violations) = sweep(&client, &ids, &deny).await;
        assert!(pages >= 3, "{role:?} reached only {pages} pages");
        total_pages += pages;
        for v in violations {
            let entry = report
                .entry((v.kind, v.shape, v.what))
                .or_insert_with(|| (v.example, Vec::new()));
            entry.1.push(role.unwrap_or("visitor"));
        }
    }
    assert!(total_pages > 50, "the sweep saw {total_pages} pages");
    let lines: Vec<String> = report
        .iter()
        .map(|((kind, shape, what), (example, roles))| {
            let mut roles = roles.clone();
            roles.dedup();
            format!(
                "{kind} {what:?} on {shape} (e.g. {example}; {})",
                roles.join(",")
            )
        })
        .collect();
    assert!(
        lines.is_empty(),
        "{} problems in Japanese pages ({total_pages} pages seen):\n{}",
        lines.len(),
        lines.join("\n")
    );
}

/// The text checker itself: it sees ids, enum names and UTC times in the
/// visible text and nowhere else.
#[test]
fn the_checker_reads_visible_text_only() {
    let ids: HashSet<String> = Messages::get().ids(Lang::Ja).into_iter().collect();
    let deny = deny_list();
    let html = r#"<html><head><title>web-nav-home</title><style>.implemented{}</style>
        <script>var x = "2026-12-01T10:19:31Z";</script></head><body>
        <input type="hidden" name="decision" value="not_selected">
        <time datetime="2026-12-01T10:19:31.649Z">2026年12月1日 19:19</time>
        <p data-x="individual_control">判断: selected</p><!-- implemented --></body></html>"#;
    let text = visible_text(html);
    assert!(!text.contains("not_selected") && !text.contains("2026-12-01T"));
    let found = check(&text, "/", "/", &ids, &deny, true);
    let kinds: BTreeSet<(&str, &str)> = found.iter().map(|v| (v.kind, v.what.as_str())).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            ("catalog id", "web-nav-home"),
            ("English enum name", "selected")
        ])
    );
    let raw = check("at 2026-12-01T10:19:31.649Z", "/", "/", &ids, &deny, false);
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0].kind, "raw UTC time");
    let cut = check("保存 2026-12-01 10:19", "/", "/", &ids, &deny, false);
    assert_eq!(cut.len(), 1);
    assert!(check("期限 2026-12-01", "/", "/", &ids, &deny, false).is_empty());
    let english = "保存できません: the risk needs a title for the register";
    let prose: Vec<_> = check(english, "/", "/", &ids, &deny, true)
        .into_iter()
        .map(|v| v.kind)
        .collect();
    assert_eq!(prose, ["English sentence"]);
    assert!(check(english, "/", "/", &ids, &deny, false).is_empty());
    let page = r#"<a href="/services/3">x</a><a class="y" href='/lists/ismap?q=1'>y</a>
        <form method="post" action="/account/tokens"><input type="hidden" name="csrf" value="t">
        <input name="name" value="typed"><select name="scope"><option>a</option></select></form>"#;
    assert_eq!(
        attributes(page, "a", "href"),
        ["/services/3", "/lists/ismap?q=1"]
    );
    let found = forms(page, "/account");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].action, "/account/tokens");
    assert_eq!(
        found[0].fields,
        [
            ("csrf".to_owned(), "t".to_owned()),
            ("name".to_owned(), String::new()),
            ("scope".to_owned(), "a".to_owned())
        ]
    );
    assert_eq!(shape("/lists/ismap/C21-0008-2"), "/lists/ismap/*");
}

/// The activity feed says who did what to which object, in sentences with
/// the person's name and organization, a link to the object and the time
/// in Japan; never an event code. Both backends.
#[tokio::test]
async fn activity_feed_is_sentences_with_names_links_and_japan_time() {
    for backend in BACKENDS {
        feed_sentences(backend).await;
    }
}

async fn feed_sentences(backend: Backend) {
    let server: TestServer = server(backend).await;
    let client = Client::new(&server);
    client.sign_in("saas-admin").await;
    let response = client
        .post_form(
            "/account/tokens",
            &[
                ("name", "feed-token"),
                ("scope", "read_only"),
                ("days", "30"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "{backend:?}");
    let event = events::list(&server.db, None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "api_token.create")
        .expect("the token's event");

    let html = client.get("/events").await.text().await.unwrap();
    assert!(
        html.contains(
            "SaaS 管理者（株式会社サンプルクラウド）が<a href=\"/account\">API トークン「feed-token」</a>を発行しました"
        ),
        "{backend:?}: {html}"
    );
    // The time: the stored UTC moment in Japan time, for people.
    let at = chrono::DateTime::parse_from_rfc3339(&event.at).unwrap() + chrono::Duration::hours(9);
    let shown = format!(
        "<time datetime=\"{}\">{}</time>",
        event.at,
        at.format("%Y年%-m月%-d日 %H:%M")
    );
    assert!(html.contains(&shown), "{backend:?}: {shown} in {html}");
    let text = visible_text(&html);
    assert!(!text.contains("api_token.create"), "{backend:?}");
    assert!(!text.contains(&event.at), "{backend:?}");
    // Seeded by the system, named as such.
    assert!(text.contains("システムが"), "{backend:?}: {text}");

    // An audit requested: the object is named by its service and linked.
    let e = crate::helpers::engaged(&server).await.engagement;
    let (service, _) = crate::helpers::saas_ids(&server).await;
    let name = ismap_store::services::get(&server.db, service)
        .await
        .unwrap()
        .name;
    let html = client.get("/events").await.text().await.unwrap();
    let requested = format!(
        "SaaS 管理者（株式会社サンプルクラウド）が<a href=\"/engagements/{e}\">監査 {e}（{name}）</a>を依頼しました"
    );
    assert!(
        html.contains(&requested),
        "{backend:?}: {requested} in {html}"
    );
    assert!(!visible_text(&html).contains("engagement."), "{backend:?}");

    // The same sentence in English.
    let _ = client.get("/lang/en").await;
    let html = client.get("/events").await.text().await.unwrap();
    assert!(
        html.contains(
            "SaaS 管理者 (Sample Cloud Inc.) issued <a href=\"/account\">the API token “feed-token”</a>"
        ),
        "{backend:?}: {html}"
    );
    let english_day = at.format("%-d %b %Y, %H:%M").to_string();
    assert!(html.contains(&english_day), "{backend:?}: {english_day}");
}
