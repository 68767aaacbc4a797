//! `ismap statement template`: a statement skeleton listing every control of
//! a catalog, with comments that say what each control expects.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use ismap_domain::control_id::ControlNumber;
use ismap_domain::{Catalog, Control, Level, ServiceModel};

/// A YAML string literal (JSON strings are valid YAML double-quoted scalars).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// Comments hold one line; titles never need more.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn flags(control: &Control) -> String {
    let mut flags = Vec::new();
    let suffix = control.id.suffix();
    if suffix.is_baseline() {
        flags.push("必須 mandatory (S4)");
    } else if suffix.is_cloud_specific() {
        flags.push("クラウド固有 cloud-specific");
    }
    if control.perimeter_wording {
        flags.push("境界防御の記述 perimeter wording");
    }
    if flags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", flags.join(", "))
    }
}

/// What a pre-filled template carries besides the catalog (see
/// [`crate::prefill`]): decisions always stay undecided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateFill {
    pub service_name: String,
    /// 言明対象範囲 (empty: left to fill in).
    pub scope: String,
    /// Comment lines written under the header.
    pub header: Vec<String>,
    /// One comment line under a control's title.
    pub notes: BTreeMap<ControlNumber, String>,
    /// Draft individual-control texts (個別管理策の下書き).
    pub drafts: BTreeMap<ControlNumber, String>,
}

/// Writes the template for `catalog`, dated `date`.
pub fn statement_template(catalog: &Catalog, date: NaiveDate, model: ServiceModel) -> String {
    statement_template_filled(catalog, date, model, &TemplateFill::default())
}

/// The template with a service name, notes and draft texts filled in.
pub fn statement_template_filled(
    catalog: &Catalog,
    date: NaiveDate,
    model: ServiceModel,
    fill: &TemplateFill,
) -> String {
    let info = catalog.info();
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# ISMAP 言明書 (statement of controls) — ismap statement template"
    );
    let _ = writeln!(
        w,
        "# 管理基準 / catalog: {} (version {}) {} / {}",
        info.id, info.version, info.title.ja, info.title.en
    );
    if info.excerpt {
        let _ = writeln!(w, "# 注意: {}", one_line(&info.notice.ja));
        let _ = writeln!(w, "# Note: {}", one_line(&info.notice.en));
    }
    let _ = writeln!(w, "#");
    let _ = writeln!(w, "# decision:");
    let _ = writeln!(
        w,
        "#   統制目標 (3桁) / objectives: selected | excluded (reason 必須 / with a reason)"
    );
    let _ = writeln!(
        w,
        "#   詳細管理策 (4桁) / detailed controls: implemented (individual_control) | inherited (from, confirmation)"
    );
    let _ = writeln!(
        w,
        "#     | not_selected (reason) | excluded (統制目標を対象外とした場合のみ / only with an excluded objective)"
    );
    let _ = writeln!(w, "#   ~ (空 / empty) = 未決定 / undecided");
    for line in &fill.header {
        let _ = writeln!(w, "# {}", one_line(line));
    }
    let _ = writeln!(w, "catalog: {}", quoted(&info.id));
    let _ = writeln!(w, "catalog_version: {}", quoted(&info.version));
    let _ = writeln!(w, "date: {date}");
    let _ = writeln!(w, "service:");
    let _ = writeln!(w, "  name: {}", quoted(&fill.service_name));
    let _ = writeln!(w, "  model: {}  # IaaS | PaaS | SaaS", model.key());
    let _ = writeln!(w, "  deployment: \"\"");
    let _ = writeln!(w, "  url: \"\"");
    let _ = writeln!(
        w,
        "  scope: {}  # 言明対象範囲: 機能・拠点・組織 / functions, locations, organisational units",
        quoted(&fill.scope)
    );
    let _ = writeln!(
        w,
        "  underlying: []  # 基盤サービスの登録番号 / registration numbers of underlying services, e.g. [C21-0008-2]"
    );
    let _ = writeln!(w, "controls:");

    let mut chapter = 0;
    for (position, control) in catalog.controls().iter().enumerate() {
        if control.id.chapter() != chapter {
            chapter = control.id.chapter();
            if let Some(c) = catalog.chapter(chapter) {
                let _ = writeln!(w, "\n  # ── {} {} / {} ──", chapter, c.title.ja, c.title.en);
            }
        }
        let indent = if control.id.level() == Level::Detailed {
            "  "
        } else {
            ""
        };
        let _ = writeln!(
            w,
            "  # {indent}{} {} / {}{}",
            control.id,
            one_line(&control.title.ja),
            one_line(&control.title.en),
            flags(control)
        );
        if let Some(note) = fill.notes.get(&control.id.number()) {
            let _ = writeln!(w, "  # {indent}  {}", one_line(note));
        }
        let leaf_objective =
            control.id.level() == Level::Objective && catalog.children_of(position).is_empty();
        let key = quoted(&control.id.to_string());
        if let Some(draft) = fill.drafts.get(&control.id.number()) {
            let _ = writeln!(
                w,
                "  {key}: {{ decision: ~, individual_control: {} }}",
                quoted(draft)
            );
        } else if control.id.level() == Level::Detailed || leaf_objective {
            let _ = writeln!(w, "  {key}: {{ decision: ~, individual_control: \"\" }}");
        } else {
            let _ = writeln!(w, "  {key}: {{ decision: ~ }}");
        }
    }
    out
}
