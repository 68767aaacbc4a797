//! The control standard (ISMAP管理基準) as a versioned catalog (spec §2).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::control_id::{ControlId, ControlNumber, Level};

/// A text in Japanese and English. Japanese is the authoritative language of
/// the standard; English is the project's translation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub ja: String,
    pub en: String,
}

impl Text {
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    fn is_incomplete(&self) -> bool {
        self.ja.trim().is_empty() || self.en.trim().is_empty()
    }
}

/// The three criteria, each for a different subject (spec §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criteria {
    /// ガバナンス基準, chapter 3: top management (経営陣).
    Governance,
    /// マネジメント基準, chapter 4: managers (管理者).
    Management,
    /// 管理策基準, chapters 5–18: practitioners (業務実施者).
    ControlMeasures,
}

impl Criteria {
    pub fn of_chapter(chapter: u16) -> Criteria {
        match chapter {
            3 => Criteria::Governance,
            4 => Criteria::Management,
            _ => Criteria::ControlMeasures,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Criteria::Governance => "governance",
            Criteria::Management => "management",
            Criteria::ControlMeasures => "control_measures",
        }
    }
}

/// Where a detailed control came from (spec §2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Unchanged from the cloud information security management standard.
    #[default]
    Unchanged,
    /// Derived from the government unified standards (統一基準).
    UnifiedStandards,
    /// Derived from NIST SP 800-53 rev4.
    Sp80053Rev4,
    /// Newly added by ISMAP (※ in the manual).
    NewInIsmap,
}

impl Origin {
    pub const ALL: [Origin; 4] = [
        Origin::Unchanged,
        Origin::UnifiedStandards,
        Origin::Sp80053Rev4,
        Origin::NewInIsmap,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Origin::Unchanged => "unchanged",
            Origin::UnifiedStandards => "unified_standards",
            Origin::Sp80053Rev4 => "sp800_53_rev4",
            Origin::NewInIsmap => "new_in_ismap",
        }
    }

    pub fn from_key(key: &str) -> Option<Origin> {
        Origin::ALL.into_iter().find(|o| o.key() == key)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chapter {
    pub number: u16,
    pub title: Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub chapter: u16,
    pub number: u16,
    pub title: Text,
    /// The category's stated purpose (目的).
    pub purpose: Text,
}

impl Category {
    pub fn id(&self) -> String {
        format!("{}.{}", self.chapter, self.number)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    pub id: ControlId,
    pub title: Text,
    /// The requirement itself.
    pub text: Text,
    /// The Japanese text is quoted verbatim from the published standard.
    pub quoted: bool,
    pub origin: Origin,
    /// Built from an "options" item of JIS Q 27002's implementation guidance (○).
    pub jis_option: bool,
    /// One of ISMAP-LIU's important controls (spec §7.2).
    pub liu_important: bool,
    /// Its wording assumes perimeter defence (spec §3, manual §2.7.7).
    pub perimeter_wording: bool,
}

impl Control {
    pub fn criteria(&self) -> Criteria {
        Criteria::of_chapter(self.id.chapter())
    }
}

/// Identity and provenance of a catalog version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogInfo {
    pub id: String,
    pub version: String,
    pub title: Text,
    /// The catalog is an excerpt of the standard, not the whole of it.
    pub excerpt: bool,
    /// Shown wherever the catalog is used (required for an excerpt).
    pub notice: Text,
    pub source: String,
    /// Where the set of ISMAP-LIU important controls (the `liu_important`
    /// markers) comes from. `None` only when no control is marked: a catalog
    /// that marks controls without saying where the set comes from is read
    /// as carrying an assumed set (see [`Catalog::build`]).
    pub important_controls: Option<ImportantControls>,
}

/// The provenance of a catalog's ISMAP-LIU important controls (spec §7.3:
/// the seeds define them as "controls that can directly affect the service
/// platform or its configuration" but do not list them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportantControls {
    /// Where the set comes from (a programme document, a list file); may be
    /// empty only for an assumed set.
    pub source: String,
    /// The set is an assumption of this system (or of whoever wrote the
    /// pack), not an official list. Every place that shows it says so.
    pub assumed: bool,
    /// A note shown with the set, in Japanese and English (both or neither).
    pub note: Text,
}

/// What is wrong with the parts a catalog is built from. `index` points into
/// the list the problem was found in, so a loader can name the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogProblem {
    pub subject: Subject,
    pub kind: CatalogProblemKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Header,
    Chapter(usize),
    Category(usize),
    Control(usize),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogProblemKind {
    #[error("the catalog id is empty")]
    EmptyId,
    #[error("the catalog version is empty")]
    EmptyVersion,
    #[error("an excerpt must carry a notice in Japanese and English saying so")]
    ExcerptWithoutNotice,
    #[error("{field} needs both Japanese (ja) and English (en) text")]
    IncompleteText { field: &'static str },
    #[error("chapter {chapter} is listed twice")]
    DuplicateChapter { chapter: u16 },
    #[error("category {category} is listed twice")]
    DuplicateCategory { category: String },
    #[error("category {category} belongs to chapter {chapter}, which is not listed")]
    CategoryWithoutChapter { category: String, chapter: u16 },
    #[error("control {id} is listed twice (first as {first})")]
    DuplicateControl { id: ControlId, first: ControlId },
    #[error("control objective {id} belongs to category {category}, which is not listed")]
    ObjectiveWithoutCategory { id: ControlId, category: String },
    #[error("detailed control {id} has no control objective {objective} in the catalog")]
    DetailedWithoutObjective {
        id: ControlId,
        objective: ControlNumber,
    },
    #[error("{flag} applies only to detailed controls (4 numbers), not to {id}")]
    FlagOnObjective { id: ControlId, flag: &'static str },
    #[error(
        "important_controls: an official set (assumed: false) must name its source; write the document it comes from, or say assumed: true"
    )]
    ImportantControlsWithoutSource,
}

/// A checked, ordered catalog. Built only through [`Catalog::build`], so
/// every catalog in the program satisfies the invariants it checks.
#[derive(Clone, Debug)]
pub struct Catalog {
    info: CatalogInfo,
    chapters: Vec<Chapter>,
    categories: Vec<Category>,
    controls: Vec<Control>,
    by_number: HashMap<ControlNumber, usize>,
    /// For each control: the range of its detailed controls when it is an
    /// objective (they follow it directly in numeric order), else empty.
    children: Vec<Range<usize>>,
}

impl Catalog {
    /// Checks the parts and assembles a catalog, reporting every problem
    /// found rather than the first.
    pub fn build(
        info: CatalogInfo,
        mut chapters: Vec<Chapter>,
        mut categories: Vec<Category>,
        controls: Vec<Control>,
    ) -> Result<Catalog, Vec<CatalogProblem>> {
        let mut problems = Vec::new();
        let mut problem = |subject, kind| problems.push(CatalogProblem { subject, kind });

        if info.id.trim().is_empty() {
            problem(Subject::Header, CatalogProblemKind::EmptyId);
        }
        if info.version.trim().is_empty() {
            problem(Subject::Header, CatalogProblemKind::EmptyVersion);
        }
        if info.title.is_incomplete() {
            problem(
                Subject::Header,
                CatalogProblemKind::IncompleteText { field: "title" },
            );
        }
        if info.excerpt && info.notice.is_incomplete() {
            problem(Subject::Header, CatalogProblemKind::ExcerptWithoutNotice);
        }
        let mut info = info;
        if let Some(important) = &info.important_controls {
            if !important.assumed && important.source.trim().is_empty() {
                problem(
                    Subject::Header,
                    CatalogProblemKind::ImportantControlsWithoutSource,
                );
            }
            let note = &important.note;
            if (note.ja.trim().is_empty()) != (note.en.trim().is_empty()) {
                problem(
                    Subject::Header,
                    CatalogProblemKind::IncompleteText {
                        field: "important_controls.note",
                    },
                );
            }
        } else if controls.iter().any(|c| c.liu_important) {
            // Markers without a word on where they come from are never taken
            // for an official list: the set is read as an assumption.
            info.important_controls = Some(ImportantControls {
                assumed: true,
                ..ImportantControls::default()
            });
        }

        let mut chapter_numbers = HashSet::new();
        for (i, chapter) in chapters.iter().enumerate() {
            if !chapter_numbers.insert(chapter.number) {
                problem(
                    Subject::Chapter(i),
                    CatalogProblemKind::DuplicateChapter {
                        chapter: chapter.number,
                    },
                );
            }
            if chapter.title.is_incomplete() {
                problem(
                    Subject::Chapter(i),
                    CatalogProblemKind::IncompleteText { field: "title" },
                );
            }
        }

        let mut category_ids = HashSet::new();
        for (i, category) in categories.iter().enumerate() {
            if !category_ids.insert((category.chapter, category.number)) {
                problem(
                    Subject::Category(i),
                    CatalogProblemKind::DuplicateCategory {
                        category: category.id(),
                    },
                );
            }
            if !chapter_numbers.contains(&category.chapter) {
                problem(
                    Subject::Category(i),
                    CatalogProblemKind::CategoryWithoutChapter {
                        category: category.id(),
                        chapter: category.chapter,
                    },
                );
            }
            if category.title.is_incomplete() {
                problem(
                    Subject::Category(i),
                    CatalogProblemKind::IncompleteText { field: "title" },
                );
            }
            if category.purpose.is_incomplete() {
                problem(
                    Subject::Category(i),
                    CatalogProblemKind::IncompleteText { field: "purpose" },
                );
            }
        }

        let mut first_seen: HashMap<ControlNumber, ControlId> = HashMap::new();
        let objectives: HashSet<ControlNumber> = controls
            .iter()
            .filter(|c| c.id.level() == Level::Objective)
            .map(|c| c.id.number())
            .collect();
        for (i, control) in controls.iter().enumerate() {
            let id = control.id;
            if let Some(first) = first_seen.get(&id.number()) {
                problem(
                    Subject::Control(i),
                    CatalogProblemKind::DuplicateControl { id, first: *first },
                );
            } else {
                first_seen.insert(id.number(), id);
            }
            match id.level() {
                Level::Objective => {
                    if !category_ids.contains(&id.category()) {
                        let (chapter, number) = id.category();
                        problem(
                            Subject::Control(i),
                            CatalogProblemKind::ObjectiveWithoutCategory {
                                id,
                                category: format!("{chapter}.{number}"),
                            },
                        );
                    }
                    for (set, flag) in [
                        (control.jis_option, "jis_option"),
                        (control.origin != Origin::Unchanged, "origin"),
                    ] {
                        if set {
                            problem(
                                Subject::Control(i),
                                CatalogProblemKind::FlagOnObjective { id, flag },
                            );
                        }
                    }
                }
                Level::Detailed => {
                    if !objectives.contains(&id.objective_number()) {
                        problem(
                            Subject::Control(i),
                            CatalogProblemKind::DetailedWithoutObjective {
                                id,
                                objective: id.objective_number(),
                            },
                        );
                    }
                }
            }
            if control.title.is_incomplete() {
                problem(
                    Subject::Control(i),
                    CatalogProblemKind::IncompleteText { field: "title" },
                );
            }
            if control.text.is_incomplete() {
                problem(
                    Subject::Control(i),
                    CatalogProblemKind::IncompleteText { field: "text" },
                );
            }
        }

        if !problems.is_empty() {
            return Err(problems);
        }

        chapters.sort_by_key(|c| c.number);
        categories.sort_by_key(|c| (c.chapter, c.number));
        let mut controls = controls;
        controls.sort_by_key(|c| c.id);
        let by_number = controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.number(), i))
            .collect();
        let mut children = vec![0..0; controls.len()];
        for (i, control) in controls.iter().enumerate() {
            if control.id.level() == Level::Objective {
                let end = controls[i + 1..]
                    .iter()
                    .position(|c| c.id.objective_number() != control.id.number())
                    .map_or(controls.len(), |offset| i + 1 + offset);
                children[i] = i + 1..end;
            }
        }
        Ok(Catalog {
            info,
            chapters,
            categories,
            controls,
            by_number,
            children,
        })
    }

    pub fn info(&self) -> &CatalogInfo {
        &self.info
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Whether any control is marked as an ISMAP-LIU important control.
    pub fn has_important_controls(&self) -> bool {
        self.controls.iter().any(|c| c.liu_important)
    }

    /// Whether the important-control set is an assumption rather than an
    /// official list. A set of unknown origin counts as assumed.
    pub fn important_controls_assumed(&self) -> bool {
        self.info
            .important_controls
            .as_ref()
            .is_none_or(|i| i.assumed)
    }

    pub fn chapters(&self) -> &[Chapter] {
        &self.chapters
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// All controls in numeric order.
    pub fn controls(&self) -> &[Control] {
        &self.controls
    }

    pub fn chapter(&self, number: u16) -> Option<&Chapter> {
        self.chapters.iter().find(|c| c.number == number)
    }

    pub fn category(&self, chapter: u16, number: u16) -> Option<&Category> {
        self.categories
            .iter()
            .find(|c| c.chapter == chapter && c.number == number)
    }

    /// Position of a control in [`Catalog::controls`], by number (the suffix
    /// written does not matter).
    pub fn position(&self, number: ControlNumber) -> Option<usize> {
        self.by_number.get(&number).copied()
    }

    pub fn get(&self, number: ControlNumber) -> Option<&Control> {
        self.position(number).map(|i| &self.controls[i])
    }

    /// Positions of the detailed controls under the objective at `position`.
    pub fn children_of(&self, position: usize) -> Range<usize> {
        self.children[position].clone()
    }

    /// Position of the objective a detailed control belongs to.
    pub fn objective_position_of(&self, position: usize) -> Option<usize> {
        self.position(self.controls[position].id.objective_number())
    }

    pub fn count(&self, criteria: Criteria, level: Level) -> usize {
        self.controls
            .iter()
            .filter(|c| c.criteria() == criteria && c.id.level() == level)
            .count()
    }

    /// Controls whose id, title or text contains `query` (case-insensitive for
    /// Latin letters). Substring matching works for Japanese, which has no
    /// spaces between words: 暗号 finds 暗号鍵.
    pub fn search(&self, query: &str) -> Vec<&Control> {
        let needle = query.trim().to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        self.controls
            .iter()
            .filter(|c| {
                c.id.to_string().to_lowercase().starts_with(&needle)
                    || [&c.title.ja, &c.title.en, &c.text.ja, &c.text.en]
                        .iter()
                        .any(|t| t.to_lowercase().contains(&needle))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str) -> Control {
        Control {
            id: id.parse().unwrap(),
            title: Text::new("題", "title"),
            text: Text::new("本文", "text"),
            quoted: false,
            origin: Origin::Unchanged,
            jis_option: false,
            liu_important: false,
            perimeter_wording: false,
        }
    }

    fn info() -> CatalogInfo {
        CatalogInfo {
            id: "t".into(),
            version: "1".into(),
            title: Text::new("テスト", "test"),
            ..CatalogInfo::default()
        }
    }

    fn chapter8() -> (Vec<Chapter>, Vec<Category>) {
        (
            vec![Chapter {
                number: 8,
                title: Text::new("資産の管理", "Asset management"),
            }],
            vec![Category {
                chapter: 8,
                number: 1,
                title: Text::new("資産に対する責任", "Responsibility for assets"),
                purpose: Text::new("目的", "purpose"),
            }],
        )
    }

    #[test]
    fn orders_controls_and_groups_detailed_controls_under_their_objective() {
        let (chapters, categories) = chapter8();
        let controls = ["8.1.2.10", "8.1.2", "8.1.3", "8.1.2.9", "8.1.2.7.PB"]
            .into_iter()
            .map(control)
            .collect();
        let catalog = Catalog::build(info(), chapters, categories, controls).unwrap();
        let ids: Vec<String> = catalog
            .controls()
            .iter()
            .map(|c| c.id.to_string())
            .collect();
        assert_eq!(ids, ["8.1.2", "8.1.2.7.PB", "8.1.2.9", "8.1.2.10", "8.1.3"]);
        assert_eq!(catalog.children_of(0), 1..4);
        assert_eq!(catalog.children_of(4), 5..5);
        assert_eq!(catalog.objective_position_of(3), Some(0));
        let by_plain_number = catalog.get("8.1.2.7".parse::<ControlId>().unwrap().number());
        assert_eq!(by_plain_number.unwrap().id.to_string(), "8.1.2.7.PB");
    }

    #[test]
    fn reports_every_structural_problem_at_once() {
        let (chapters, categories) = chapter8();
        let mut orphan = control("8.2.1");
        orphan.jis_option = true;
        let controls = vec![
            control("8.1.2"),
            control("8.1.2.3"),
            control("8.1.2.3.B"),
            control("8.1.4.1"),
            orphan,
        ];
        let problems = Catalog::build(info(), chapters, categories, controls).unwrap_err();
        let kinds: Vec<_> = problems
            .iter()
            .map(|p| (p.subject, p.kind.clone()))
            .collect();
        assert!(kinds.contains(&(
            Subject::Control(2),
            CatalogProblemKind::DuplicateControl {
                id: "8.1.2.3.B".parse().unwrap(),
                first: "8.1.2.3".parse().unwrap()
            }
        )));
        assert!(kinds.iter().any(|(s, k)| *s == Subject::Control(3)
            && matches!(k, CatalogProblemKind::DetailedWithoutObjective { .. })));
        assert!(kinds.iter().any(|(s, k)| *s == Subject::Control(4)
            && matches!(k, CatalogProblemKind::ObjectiveWithoutCategory { .. })));
        assert!(kinds.iter().any(|(s, k)| *s == Subject::Control(4)
            && matches!(
                k,
                CatalogProblemKind::FlagOnObjective {
                    flag: "jis_option",
                    ..
                }
            )));
        assert_eq!(problems.len(), 4);
    }

    #[test]
    fn an_excerpt_must_say_so() {
        let (chapters, categories) = chapter8();
        let mut excerpt = info();
        excerpt.excerpt = true;
        let problems = Catalog::build(excerpt, chapters, categories, vec![]).unwrap_err();
        assert_eq!(problems[0].kind, CatalogProblemKind::ExcerptWithoutNotice);
    }

    #[test]
    fn important_controls_carry_their_source() {
        let (chapters, categories) = chapter8();
        let mut key = control("8.1.2.7.PB");
        key.liu_important = true;
        let controls = vec![control("8.1.2"), key];
        // Markers without a word on their source: an assumed set.
        let catalog = Catalog::build(
            info(),
            chapters.clone(),
            categories.clone(),
            controls.clone(),
        )
        .unwrap();
        assert!(catalog.has_important_controls());
        assert!(catalog.important_controls_assumed());
        assert_eq!(
            catalog
                .info()
                .important_controls
                .as_ref()
                .map(|i| i.assumed),
            Some(true)
        );
        // An official set must name its source.
        let mut official = info();
        official.important_controls = Some(ImportantControls::default());
        let problems = Catalog::build(
            official.clone(),
            chapters.clone(),
            categories.clone(),
            controls.clone(),
        )
        .unwrap_err();
        assert_eq!(
            problems[0].kind,
            CatalogProblemKind::ImportantControlsWithoutSource
        );
        official.important_controls = Some(ImportantControls {
            source: "official list".into(),
            assumed: false,
            note: Text::new("注", ""),
        });
        let problems = Catalog::build(
            official.clone(),
            chapters.clone(),
            categories.clone(),
            controls.clone(),
        )
        .unwrap_err();
        assert!(matches!(
            problems[0].kind,
            CatalogProblemKind::IncompleteText { .. }
        ));
        official.important_controls.as_mut().unwrap().note = Text::default();
        let catalog = Catalog::build(official, chapters, categories, controls).unwrap();
        assert!(!catalog.important_controls_assumed());
    }

    #[test]
    fn search_finds_japanese_substrings_and_ignores_latin_case() {
        let (chapters, categories) = chapter8();
        let mut key = control("8.1.2.7.PB");
        key.text = Text::new(
            "利用者が暗号鍵を管理し消去する機能",
            "Customer-managed KEYS",
        );
        let catalog =
            Catalog::build(info(), chapters, categories, vec![control("8.1.2"), key]).unwrap();
        assert_eq!(catalog.search("暗号")[0].id.to_string(), "8.1.2.7.PB");
        assert_eq!(catalog.search("customer-managed keys").len(), 1);
        assert_eq!(catalog.search("8.1.2").len(), 2);
        assert!(catalog.search("  ").is_empty());
    }
}
