//! The catalog browser: criteria → chapter → category → objective →
//! detailed control, control detail, and search.

use crate::error::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use ismap_domain::{Catalog, Control, ControlId, Criteria, Level, Origin, Suffix};
use ismap_store::catalogs;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::parse_control;
use crate::error::{Failure, PageError};
use crate::pages::render;
use crate::text::Frame;

pub struct Badge {
    pub class: &'static str,
    pub label: String,
    pub title: String,
}

pub struct ControlView {
    pub id: String,
    pub href: String,
    pub title: String,
    pub badges: Vec<Badge>,
    pub children: Vec<ControlView>,
}

pub struct CategoryView {
    pub id: String,
    pub title: String,
    pub purpose: String,
    pub objectives: Vec<ControlView>,
}

pub struct ChapterView {
    pub number: u16,
    pub title: String,
    pub criteria: String,
    pub categories: Vec<CategoryView>,
}

/// What the catalog's ISMAP-LIU important-control set is, for the reader:
/// an assumed set always says it is one (issue 14), an official one names
/// its source. `None` for a catalog that marks no important control.
pub fn important_set_notice(frame: &Frame, catalog: &Catalog) -> Option<String> {
    let info = catalog.info().important_controls.as_ref();
    if !catalog.has_important_controls() && info.is_none() {
        return None;
    }
    let count = catalog
        .controls()
        .iter()
        .filter(|c| c.liu_important)
        .count()
        .to_string();
    let source = info.map(|i| i.source.clone()).unwrap_or_default();
    let mut text = if catalog.important_controls_assumed() {
        frame.tr("liu-important-assumed-notice", &[("count", count)])
    } else {
        frame.tr(
            "liu-important-official-notice",
            &[("count", count), ("source", source)],
        )
    };
    if let Some(note) = info
        .map(|i| frame.pick(&i.note.ja, &i.note.en))
        .filter(|n| !n.is_empty())
    {
        text.push(' ');
        text.push_str(note);
    }
    Some(text)
}

/// What an ISMAP-LIU cycle's external audit covers and what it leaves to
/// the provider's internal audit, for the planner and an LIU engagement.
pub struct LiuPlanView {
    /// External scope: governance/management every year and the important
    /// control measures, with counts.
    pub external: String,
    /// The control measures left to the internal audit.
    pub internal: String,
    /// Control objectives none of whose controls the external audit covers.
    pub internal_objectives: Vec<String>,
    /// Where the important-control set comes from (assumed or official).
    pub important_notice: Option<String>,
    /// The catalog marks no important control: nothing of the control
    /// measures can be externally audited until a list is loaded.
    pub no_important: Option<String>,
}

/// [`LiuPlanView`] for an LIU plan; `None` for ISMAP scopes.
pub fn liu_plan_view(
    frame: &Frame,
    catalog: &Catalog,
    plan: &ismap_domain::audit::CyclePlan,
) -> Option<LiuPlanView> {
    if !matches!(plan.scope, ismap_domain::audit::Scope::Liu { .. }) {
        return None;
    }
    let external_measures: Vec<&Control> = catalog
        .controls()
        .iter()
        .filter(|c| {
            c.criteria() == Criteria::ControlMeasures && plan.scope.externally_audits(catalog, c.id)
        })
        .collect();
    let internal = plan.internal_audit_only(catalog);
    let internal_objectives: Vec<String> = internal
        .iter()
        .filter(|c| c.level() == Level::Objective)
        .map(|c| c.to_string())
        .collect();
    Some(LiuPlanView {
        external: frame.tr(
            "liu-plan-external",
            &[
                (
                    "important",
                    external_measures
                        .iter()
                        .filter(|c| c.liu_important)
                        .count()
                        .to_string(),
                ),
                (
                    "objectives",
                    external_measures
                        .iter()
                        .filter(|c| c.id.level() == Level::Objective)
                        .count()
                        .to_string(),
                ),
                ("years", plan.years.len().to_string()),
            ],
        ),
        internal: frame.tr(
            "liu-plan-internal",
            &[
                ("count", internal.len().to_string()),
                ("objectives", internal_objectives.len().to_string()),
            ],
        ),
        internal_objectives,
        important_notice: important_set_notice(frame, catalog),
        no_important: (!catalog.has_important_controls())
            .then(|| frame.t("liu-important-none-notice")),
    })
}

/// The badges of a control in `catalog`: the LIU badge says whether the
/// important-control set is the system's assumption or an official list.
pub fn badges_in(frame: &Frame, catalog: &Catalog, control: &Control) -> Vec<Badge> {
    let mut out = badges(frame, control);
    if control.liu_important
        && let Some(badge) = out.iter_mut().find(|b| b.class == "badge badge-liu")
    {
        badge.title = if catalog.important_controls_assumed() {
            frame.t("liu-important-badge-assumed")
        } else {
            frame.tr(
                "liu-important-badge-official",
                &[(
                    "source",
                    catalog
                        .info()
                        .important_controls
                        .as_ref()
                        .map(|i| i.source.clone())
                        .unwrap_or_default(),
                )],
            )
        };
    }
    out
}

/// A control's badges without its catalog; prefer [`badges_in`], which
/// says where the LIU important-control set comes from.
pub fn badges(frame: &Frame, control: &Control) -> Vec<Badge> {
    let mut out = Vec::new();
    let mut add = |class, label: &str, title_id: &str| {
        out.push(Badge {
            class,
            label: label.to_owned(),
            title: frame.t(title_id),
        })
    };
    match control.id.suffix() {
        Suffix::P => add("badge badge-p", "P", "web-badge-p"),
        Suffix::B => add("badge badge-b", "B", "web-badge-b"),
        Suffix::PB => add("badge badge-pb", "PB", "web-badge-pb"),
        Suffix::None => {}
    }
    if control.liu_important {
        add("badge badge-liu", "LIU", "web-badge-liu");
    }
    if control.origin == Origin::NewInIsmap {
        add("badge badge-new", "※", "web-badge-new");
    }
    if control.jis_option {
        add("badge badge-option", "○", "web-badge-option");
    }
    if control.quoted {
        add(
            "badge badge-quoted",
            &frame.t("web-badge-quoted-label"),
            "web-badge-quoted",
        );
    }
    out
}

fn control_href(catalog: &Catalog, id: &ControlId) -> String {
    format!("/catalogs/{}/controls/{id}", catalog.id())
}

fn view(frame: &Frame, catalog: &Catalog, position: usize) -> ControlView {
    let control = &catalog.controls()[position];
    ControlView {
        id: control.id.to_string(),
        href: control_href(catalog, &control.id),
        title: frame.pick(&control.title.ja, &control.title.en).to_owned(),
        badges: badges_in(frame, catalog, control),
        children: catalog
            .children_of(position)
            .map(|child| view(frame, catalog, child))
            .collect(),
    }
}

fn criteria_label(frame: &Frame, criteria: Criteria) -> String {
    frame.t(&format!(
        "web-criteria-{}",
        criteria.key().replace('_', "-")
    ))
}

fn tree(frame: &Frame, catalog: &Catalog) -> Vec<ChapterView> {
    catalog
        .chapters()
        .iter()
        .map(|chapter| ChapterView {
            number: chapter.number,
            title: frame.pick(&chapter.title.ja, &chapter.title.en).to_owned(),
            criteria: criteria_label(frame, Criteria::of_chapter(chapter.number)),
            categories: catalog
                .categories()
                .iter()
                .filter(|c| c.chapter == chapter.number)
                .map(|category| CategoryView {
                    id: category.id(),
                    title: frame
                        .pick(&category.title.ja, &category.title.en)
                        .to_owned(),
                    purpose: frame
                        .pick(&category.purpose.ja, &category.purpose.en)
                        .to_owned(),
                    objectives: catalog
                        .controls()
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| {
                            c.id.level() == Level::Objective
                                && c.id.category() == (category.chapter, category.number)
                        })
                        .map(|(position, _)| view(frame, catalog, position))
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// The excerpt notice, when the catalog is an excerpt: for the bundled
/// excerpt, the catalogs' wording for people (the pack's own notice names
/// its keys); for another pack, its notice.
fn notice(frame: &Frame, catalog: &Catalog) -> Option<String> {
    let info = catalog.info();
    if !info.excerpt {
        return None;
    }
    Some(
        if catalog.id() == ismap_formats::bundled::ISMAP_2022_EXCERPT {
            frame.t("web-catalog-excerpt-notice")
        } else {
            frame.pick(&info.notice.ja, &info.notice.en).to_owned()
        },
    )
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    frame: Frame,
    catalog_id: String,
    title: String,
    version: String,
    notice: Option<String>,
    /// Where the LIU important-control set comes from (assumed or official).
    important_notice: Option<String>,
    chapters: Vec<ChapterView>,
    others: Vec<(String, String)>,
    query: String,
}

pub async fn default_catalog(state: State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let id = state.default_catalog().id().to_owned();
    show_catalog(state, ctx, Path(id)).await
}

pub async fn show_catalog(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let catalog = state
        .catalog(&id)
        .ok_or_else(|| Failure::NotFound(format!("catalog {id}")))?;
    let frame = Frame::new(&ctx);
    let info = catalog.info();
    let page = CatalogPage {
        catalog_id: info.id.clone(),
        title: frame.pick(&info.title.ja, &info.title.en).to_owned(),
        version: info.version.clone(),
        notice: notice(&frame, catalog),
        important_notice: important_set_notice(&frame, catalog),
        chapters: tree(&frame, catalog),
        others: state
            .catalogs
            .iter()
            .filter(|c| c.id() != catalog.id())
            .map(|c| {
                (
                    c.id().to_owned(),
                    frame
                        .pick(&c.info().title.ja, &c.info().title.en)
                        .to_owned(),
                )
            })
            .collect(),
        query: String::new(),
        frame,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "control.html")]
struct ControlPage {
    frame: Frame,
    catalog_id: String,
    catalog_title: String,
    notice: Option<String>,
    /// Shown for an important control: where the set comes from.
    important_notice: Option<String>,
    control: ControlView,
    text: String,
    text_other: String,
    criteria: String,
    category: String,
    category_purpose: String,
    objective: Option<ControlView>,
    origin: String,
}

pub async fn show_control(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((catalog_id, control_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let catalog = state
        .catalog(&catalog_id)
        .ok_or_else(|| Failure::NotFound(format!("catalog {catalog_id}")))?;
    let id: ControlId = parse_control(&control_id, "control")?;
    let position = catalog
        .position(id.number())
        .ok_or_else(|| Failure::NotFound(format!("control {id} in {catalog_id}")))?;
    let frame = Frame::new(&ctx);
    let control = &catalog.controls()[position];
    let (chapter, number) = control.id.category();
    let category = catalog.category(chapter, number);
    let objective = (control.id.level() == Level::Detailed)
        .then(|| catalog.objective_position_of(position))
        .flatten()
        .map(|p| view(&frame, catalog, p));
    let info = catalog.info();
    let page = ControlPage {
        catalog_id: info.id.clone(),
        catalog_title: frame.pick(&info.title.ja, &info.title.en).to_owned(),
        notice: notice(&frame, catalog),
        important_notice: control
            .liu_important
            .then(|| important_set_notice(&frame, catalog))
            .flatten(),
        control: view(&frame, catalog, position),
        text: frame.pick(&control.text.ja, &control.text.en).to_owned(),
        text_other: frame.pick(&control.text.en, &control.text.ja).to_owned(),
        criteria: criteria_label(&frame, control.criteria()),
        category: category
            .map(|c| format!("{} {}", c.id(), frame.pick(&c.title.ja, &c.title.en)))
            .unwrap_or_default(),
        category_purpose: category
            .map(|c| frame.pick(&c.purpose.ja, &c.purpose.en).to_owned())
            .unwrap_or_default(),
        objective,
        origin: frame.t(&format!(
            "web-origin-{}",
            control.origin.key().replace('_', "-")
        )),
        frame,
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    frame: Frame,
    catalog_id: String,
    notice: Option<String>,
    query: String,
    results: Vec<ControlView>,
}

pub async fn search(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(catalog_id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let catalog = state
        .catalog(&catalog_id)
        .ok_or_else(|| Failure::NotFound(format!("catalog {catalog_id}")))?;
    let frame = Frame::new(&ctx);
    let ids = catalogs::search(&state.db, catalog.id(), &query.q, 200).await?;
    let results = ids
        .iter()
        .filter_map(|id| id.parse::<ControlId>().ok())
        .filter_map(|id| catalog.position(id.number()))
        .map(|position| {
            let mut v = view(&frame, catalog, position);
            v.children.clear();
            v
        })
        .collect();
    let page = SearchPage {
        catalog_id: catalog.id().to_owned(),
        notice: notice(&frame, catalog),
        query: query.q,
        results,
        frame,
    };
    render(&page)
}
