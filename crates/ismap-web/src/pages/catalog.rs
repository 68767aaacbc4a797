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
        badges: badges(frame, control),
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
