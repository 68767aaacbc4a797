//! Catalog packs: one YAML file per catalog version (format in
//! `docs/catalog-pack.md`). Loading checks the pack and reports every problem
//! with file, line and field.

use ismap_domain::catalog::{
    CatalogInfo, CatalogProblem, CatalogProblemKind, ImportantControls, Subject,
};
use ismap_domain::{Catalog, Category, Chapter, Control, ControlId, Origin};
use serde::Deserialize;

use crate::source::{SourceError, SourceProblem};
use crate::yaml::{self, RawText, Spanned, place};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: Spanned<String>,
    version: Spanned<String>,
    title: Spanned<RawText>,
    #[serde(default)]
    excerpt: bool,
    #[serde(default)]
    notice: Option<RawText>,
    #[serde(default)]
    source: String,
    /// Where the ISMAP-LIU important controls come from (docs/catalog-pack.md).
    #[serde(default)]
    important_controls: Option<Spanned<RawImportantControls>>,
    #[serde(default)]
    chapters: Vec<Spanned<RawChapter>>,
    #[serde(default)]
    categories: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    controls: Vec<Spanned<RawControl>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImportantControls {
    #[serde(default)]
    source: String,
    /// Required: whoever writes a pack says whether the set is official.
    assumed: bool,
    #[serde(default)]
    note: RawText,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChapter {
    number: u16,
    #[serde(default)]
    title: RawText,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    #[serde(default)]
    title: RawText,
    #[serde(default)]
    purpose: RawText,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    #[serde(default)]
    title: RawText,
    #[serde(default)]
    text: RawText,
    #[serde(default)]
    quoted: bool,
    #[serde(default)]
    origin: Option<Spanned<String>>,
    #[serde(default)]
    jis_option: bool,
    #[serde(default)]
    liu_important: bool,
    #[serde(default)]
    perimeter_wording: bool,
}

/// Reads and checks a catalog pack. `file` names it in problems.
pub fn load_pack(file: &str, text: &str) -> Result<Catalog, SourceError> {
    let raw: RawPack = yaml::parse(file, text)?;
    let mut problems = Vec::new();
    let problem_at = |(line, column): (u32, u32), field: String, message: String| SourceProblem {
        file: file.to_owned(),
        line,
        column,
        field,
        message,
    };

    let chapter_places: Vec<_> = raw.chapters.iter().map(place).collect();
    let chapters: Vec<Chapter> = raw
        .chapters
        .into_iter()
        .map(|c| Chapter {
            number: c.value.number,
            title: c.value.title.into(),
        })
        .collect();

    let mut category_places = Vec::new();
    let mut categories = Vec::new();
    for (i, raw_category) in raw.categories.into_iter().enumerate() {
        let id_place = place(&raw_category.value.id);
        match parse_category_id(&raw_category.value.id.value) {
            Some((chapter, number)) => {
                category_places.push(place(&raw_category));
                categories.push(Category {
                    chapter,
                    number,
                    title: raw_category.value.title.into(),
                    purpose: raw_category.value.purpose.into(),
                });
            }
            None => problems.push(problem_at(
                id_place,
                format!("categories[{i}].id"),
                format!(
                    "{:?} is not a category id; write chapter and category numbers such as \"8.1\"",
                    raw_category.value.id.value
                ),
            )),
        }
    }

    let mut control_places = Vec::new();
    let mut controls = Vec::new();
    for (i, raw_control) in raw.controls.into_iter().enumerate() {
        let control_place = place(&raw_control);
        let raw_control = raw_control.value;
        let id = match raw_control.id.value.parse::<ControlId>() {
            Ok(id) => id,
            Err(error) => {
                problems.push(problem_at(
                    place(&raw_control.id),
                    format!("controls[{i}].id"),
                    format!("{:?}: {error}", raw_control.id.value),
                ));
                continue;
            }
        };
        let origin = match &raw_control.origin {
            None => Origin::Unchanged,
            Some(origin) => match Origin::from_key(&origin.value) {
                Some(origin) => origin,
                None => {
                    let known: Vec<_> = Origin::ALL.iter().map(|o| o.key()).collect();
                    problems.push(problem_at(
                        place(origin),
                        format!("controls[{i}].origin"),
                        format!(
                            "unknown origin {:?} for {id}; use one of {}",
                            origin.value,
                            known.join(", ")
                        ),
                    ));
                    continue;
                }
            },
        };
        control_places.push((control_place, i));
        controls.push(Control {
            id,
            title: raw_control.title.into(),
            text: raw_control.text.into(),
            quoted: raw_control.quoted,
            origin,
            jis_option: raw_control.jis_option,
            liu_important: raw_control.liu_important,
            perimeter_wording: raw_control.perimeter_wording,
        });
    }

    let important_place = raw.important_controls.as_ref().map(place);
    let info = CatalogInfo {
        id: raw.id.value.trim().to_owned(),
        version: raw.version.value.trim().to_owned(),
        title: raw.title.value.into(),
        excerpt: raw.excerpt,
        notice: raw.notice.map(Into::into).unwrap_or_default(),
        source: raw.source,
        // Without the block, marked controls are read as an assumed set
        // (Catalog::build): a pack never makes a set official by silence.
        important_controls: raw.important_controls.map(|i| ImportantControls {
            source: i.value.source.trim().to_owned(),
            assumed: i.value.assumed,
            note: i.value.note.into(),
        }),
    };
    let header_place = place(&raw.id);
    match Catalog::build(info, chapters, categories, controls) {
        Ok(catalog) if problems.is_empty() => Ok(catalog),
        Ok(_) => Err(sorted(problems)),
        Err(domain_problems) => {
            for CatalogProblem { subject, kind } in domain_problems {
                let (place, field) = match subject {
                    Subject::Header => match &kind {
                        CatalogProblemKind::ImportantControlsWithoutSource
                        | CatalogProblemKind::IncompleteText {
                            field: "important_controls.note",
                        } => (
                            important_place.unwrap_or(header_place),
                            String::from("important_controls"),
                        ),
                        _ => (header_place, String::from("(header)")),
                    },
                    Subject::Chapter(i) => (chapter_places[i], format!("chapters[{i}]")),
                    Subject::Category(i) => (category_places[i], format!("categories[{i}]")),
                    Subject::Control(i) => {
                        let (place, raw_index) = control_places[i];
                        (place, format!("controls[{raw_index}]"))
                    }
                };
                problems.push(problem_at(place, field, kind.to_string()));
            }
            Err(sorted(problems))
        }
    }
}

/// A YAML string literal (JSON strings are valid YAML double-quoted scalars).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

fn text_yaml(text: &ismap_domain::Text) -> String {
    format!("{{ ja: {}, en: {} }}", quoted(&text.ja), quoted(&text.en))
}

/// Writes a catalog as a pack that [`load_pack`] reads back to the same
/// catalog (used to store generated or imported catalogs).
pub fn to_yaml(catalog: &Catalog) -> String {
    let info = catalog.info();
    let mut out = format!(
        "id: {}\nversion: {}\ntitle: {}\nexcerpt: {}\n",
        quoted(&info.id),
        quoted(&info.version),
        text_yaml(&info.title),
        info.excerpt
    );
    if info.excerpt || !info.notice.ja.is_empty() {
        out.push_str(&format!("notice: {}\n", text_yaml(&info.notice)));
    }
    // An empty list is written `[]`: a bare `chapters:` reads back as null,
    // which the loader refuses (found by fuzzing, docs/fuzzing.md).
    let section = |name: &str, empty: bool| {
        if empty {
            format!("{name}: []\n")
        } else {
            format!("{name}:\n")
        }
    };
    out.push_str(&format!("source: {}\n", quoted(&info.source)));
    if let Some(important) = &info.important_controls {
        out.push_str(&format!(
            "important_controls:\n  source: {}\n  assumed: {}\n",
            quoted(&important.source),
            important.assumed
        ));
        if !important.note.ja.is_empty() || !important.note.en.is_empty() {
            out.push_str(&format!("  note: {}\n", text_yaml(&important.note)));
        }
    }
    out.push_str(&section("chapters", catalog.chapters().is_empty()));
    for c in catalog.chapters() {
        out.push_str(&format!(
            "  - number: {}\n    title: {}\n",
            c.number,
            text_yaml(&c.title)
        ));
    }
    out.push_str(&section("categories", catalog.categories().is_empty()));
    for c in catalog.categories() {
        out.push_str(&format!(
            "  - id: {}\n    title: {}\n    purpose: {}\n",
            quoted(&c.id()),
            text_yaml(&c.title),
            text_yaml(&c.purpose)
        ));
    }
    out.push_str(&section("controls", catalog.controls().is_empty()));
    for c in catalog.controls() {
        out.push_str(&format!(
            "  - id: {}\n    title: {}\n    text: {}\n",
            quoted(&c.id.to_string()),
            text_yaml(&c.title),
            text_yaml(&c.text)
        ));
        if c.quoted {
            out.push_str("    quoted: true\n");
        }
        if c.origin != Origin::Unchanged {
            out.push_str(&format!("    origin: {}\n", c.origin.key()));
        }
        for (flag, set) in [
            ("jis_option", c.jis_option),
            ("liu_important", c.liu_important),
            ("perimeter_wording", c.perimeter_wording),
        ] {
            if set {
                out.push_str(&format!("    {flag}: true\n"));
            }
        }
    }
    out
}

fn sorted(mut problems: Vec<SourceProblem>) -> SourceError {
    problems.sort_by_key(|p| (p.line, p.column));
    SourceError::new(problems)
}

fn parse_category_id(text: &str) -> Option<(u16, u16)> {
    let (chapter, number) = text.trim().split_once('.')?;
    let chapter = chapter.parse().ok().filter(|&n| n > 0)?;
    let number = number.parse().ok().filter(|&n| n > 0)?;
    Some((chapter, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"id: test
version: "1"
title: { ja: "試験", en: "Test" }
chapters:
  - number: 8
    title: { ja: "資産の管理", en: "Asset management" }
categories:
  - id: "8.1"
    title: { ja: "資産に対する責任", en: "Responsibility for assets" }
    purpose: { ja: "資産を特定する。", en: "Identify assets." }
"#;

    fn with_controls(controls: &str) -> String {
        format!("{HEADER}controls:\n{controls}")
    }

    #[test]
    fn a_good_pack_loads() {
        let text = with_controls(
            r#"  - id: "8.1.2"
    title: { ja: "資産の管理責任", en: "Ownership of assets" }
    text: { ja: "目録の中で維持される資産は、管理する。", en: "Assets in the inventory are owned." }
    quoted: true
  - id: "8.1.2.7.PB"
    title: { ja: "利用者鍵", en: "Customer keys" }
    text: { ja: "鍵", en: "Keys" }
    origin: new_in_ismap
    liu_important: true
"#,
        );
        let catalog = load_pack("test.yaml", &text).unwrap();
        assert_eq!(catalog.controls().len(), 2);
        assert_eq!(catalog.controls()[1].origin, Origin::NewInIsmap);
        assert!(catalog.controls()[0].quoted);
    }

    #[test]
    fn a_written_pack_reads_back_the_same_catalog() {
        for catalog in [
            crate::bundled::default_catalog().clone(),
            ismap_domain::synthetic::full_size_catalog(),
        ] {
            let again = load_pack("written.yaml", &to_yaml(&catalog)).unwrap();
            assert_eq!(again.info(), catalog.info());
            assert_eq!(again.controls(), catalog.controls());
            assert_eq!(again.categories(), catalog.categories());
            assert_eq!(again.chapters(), catalog.chapters());
        }
    }

    #[test]
    fn every_problem_is_reported_with_line_and_field() {
        let text = with_controls(
            r#"  - id: "8.1.2"
    title: { ja: "資産の管理責任", en: "Ownership of assets" }
    text: { ja: "本文", en: "text" }
  - id: "8.1.2.X"
    title: { ja: "題", en: "t" }
    text: { ja: "本文", en: "text" }
  - id: "8.1.2"
    title: { ja: "重複", en: "duplicate" }
    text: { ja: "本文", en: "text" }
  - id: "8.1.9.1"
    title: { ja: "孤立", en: "orphan" }
    text: { ja: "本文", en: "text" }
  - id: "8.1.2.3"
    title: { ja: "題", en: "t" }
    text: { ja: "本文", en: "text" }
    origin: invented
"#,
        );
        let error = load_pack("pack.yaml", &text).unwrap_err();
        let lines: Vec<(u32, &str)> = error
            .problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (15, "controls[1].id"),
                (18, "controls[2]"),
                (21, "controls[3]"),
                (27, "controls[4].origin"),
            ],
            "{error}"
        );
        let text = error.to_string();
        assert!(text.contains("pack.yaml:15:"), "{text}");
        assert!(text.contains("unknown suffix"), "{text}");
        assert!(text.contains("listed twice"), "{text}");
        assert!(text.contains("no control objective 8.1.9"), "{text}");
        assert!(text.contains("unknown origin \"invented\""), "{text}");
    }

    #[test]
    fn the_important_control_set_says_where_it_comes_from() {
        let marked = r#"  - id: "8.1.2"
    title: { ja: "資産の管理責任", en: "Ownership of assets" }
    text: { ja: "本文", en: "text" }
  - id: "8.1.2.7.PB"
    title: { ja: "利用者鍵", en: "Customer keys" }
    text: { ja: "鍵", en: "Keys" }
    liu_important: true
"#;
        // No block: the markers are read as an assumed set, never official.
        let catalog = load_pack("p.yaml", &with_controls(marked)).unwrap();
        assert!(catalog.important_controls_assumed());
        // An official set with its source.
        let official = format!(
            "important_controls:\n  source: \"ISMAP-LIU list (official)\"\n  assumed: false\n  note: {{ ja: \"注記\", en: \"Note\" }}\n{}",
            with_controls(marked)
        );
        let catalog = load_pack("p.yaml", &official).unwrap();
        assert!(!catalog.important_controls_assumed());
        let important = catalog.info().important_controls.clone().unwrap();
        assert_eq!(important.source, "ISMAP-LIU list (official)");
        assert_eq!(important.note.en, "Note");
        let again = load_pack("again.yaml", &to_yaml(&catalog)).unwrap();
        assert_eq!(again.info(), catalog.info());
        // An official set without a source is refused at the block's line.
        let sourceless = format!(
            "important_controls:\n  assumed: false\n{}",
            with_controls(marked)
        );
        let error = load_pack("p.yaml", &sourceless).unwrap_err();
        assert_eq!(error.problems[0].field, "important_controls");
        assert_eq!(error.problems[0].line, 2, "{error}");
        assert!(error.to_string().contains("source"), "{error}");
        // `assumed` must be said.
        let unsaid = format!(
            "important_controls:\n  source: x\n{}",
            with_controls(marked)
        );
        let error = load_pack("p.yaml", &unsaid).unwrap_err();
        assert!(error.to_string().contains("assumed"), "{error}");
    }

    #[test]
    fn unknown_flags_and_syntax_errors_name_the_line() {
        let text = with_controls(
            r#"  - id: "8.1.2"
    title: { ja: "題", en: "t" }
    text: { ja: "本文", en: "text" }
    important: true
"#,
        );
        let error = load_pack("pack.yaml", &text).unwrap_err();
        assert_eq!(error.problems[0].line, 15);
        assert!(error.problems[0].message.contains("important"), "{error}");

        let error = load_pack("pack.yaml", "id: [unclosed\n").unwrap_err();
        assert_eq!(error.problems[0].file, "pack.yaml");
        assert!(error.problems[0].line >= 1, "{error}");
    }
}
