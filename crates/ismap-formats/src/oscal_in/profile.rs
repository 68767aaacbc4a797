//! Profile resolution, the part ismap needs: which controls a baseline
//! selects. An import names a catalog (or another profile) by a relative
//! path or by `#uuid` of a back-matter resource whose `rlinks` give paths;
//! nothing is fetched from the network, so a remote import needs the catalog
//! given explicitly. Selection follows OSCAL's profile resolution:
//! `include-all` or `include-controls` (`with-ids`, `matching`,
//! `with-child-controls`), minus `exclude-controls`; with `merge/as-is`, the
//! ancestors of a selected enhancement stay as its structure. Parameter
//! settings and alterations are not applied (ismap keeps the catalog's text).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ismap_domain::{ReferenceControl, ReferenceFramework};
use serde_json::Value;

use super::catalog::read_framework;
use super::checks::{Problem, Rule};
use super::document::{self, Document, Model};

/// Profiles import profiles; a cycle or a chain this deep is an error.
const MAX_DEPTH: usize = 8;

/// A resolved profile.
#[derive(Debug)]
pub struct Resolution {
    /// The selected controls (with their ancestors under `as-is`), in
    /// catalog order, under the profile's own title and version.
    pub framework: ReferenceFramework,
    /// Only the controls the profile selects, in catalog order.
    pub selected: Vec<String>,
    /// The catalog files (or profiles) the imports were read from.
    pub sources: Vec<String>,
    /// Selections and alterations naming controls the catalog lacks.
    pub unknown: Vec<Problem>,
}

/// Why a profile could not be resolved (the CLI exits 2).
#[derive(Debug, PartialEq, Eq)]
pub struct ResolveError(pub String);

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResolveError {}

/// `*` and `?` wildcards, as OSCAL's `matching/@pattern`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn is_remote(href: &str) -> bool {
    href.contains("://")
}

/// The local files an import's `href` may stand for, most likely first.
fn candidates(profile: &Document, href: &str) -> Result<Vec<PathBuf>, ResolveError> {
    let base = Path::new(&profile.file)
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let hrefs: Vec<String> = if let Some(uuid) = href.strip_prefix('#') {
        let resource = profile.root()["back-matter"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["uuid"] == uuid)
            .ok_or_else(|| {
                ResolveError(format!(
                    "{}: import href {href} names no back-matter resource",
                    profile.file
                ))
            })?;
        let mut links: Vec<&Value> = resource["rlinks"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        // A profile read as JSON most likely has its catalog beside it as JSON.
        let prefer = profile.syntax.name();
        links.sort_by_key(|l| !l["media-type"].as_str().unwrap_or("").contains(prefer));
        links
            .iter()
            .filter_map(|l| l["href"].as_str().map(str::to_owned))
            .collect()
    } else {
        vec![href.to_owned()]
    };
    let local: Vec<PathBuf> = hrefs
        .iter()
        .filter(|h| !is_remote(h))
        .map(|h| base.join(h))
        .collect();
    if local.iter().any(|p| p.is_file()) {
        return Ok(local.into_iter().filter(|p| p.is_file()).collect());
    }
    Err(ResolveError(format!(
        "{}: the imported catalog {href} is not available locally (tried: {}); \
         pass the catalog file with --catalog",
        profile.file,
        if hrefs.is_empty() {
            "no rlinks".to_owned()
        } else {
            hrefs.join(", ")
        }
    )))
}

/// The framework an import reads from: a catalog, or a profile resolved.
fn imported(source: &Document, depth: usize) -> Result<ReferenceFramework, ResolveError> {
    match source.model {
        Model::Catalog => read_framework(source).map_err(ResolveError),
        Model::Profile => Ok(resolve_at(source, None, depth + 1)?.framework),
        other => Err(ResolveError(format!(
            "{}: an import must name a catalog or a profile, not an OSCAL {other}",
            source.file
        ))),
    }
}

/// The ids one `include-controls`/`exclude-controls` entry names; ids the
/// catalog lacks are reported with their pointer.
fn select_ids(
    entry: &Value,
    at: &str,
    framework: &ReferenceFramework,
    known: &HashSet<&str>,
    unknown: &mut Vec<Problem>,
) -> Vec<String> {
    let mut out = Vec::new();
    let children = entry["with-child-controls"] == "yes";
    for (k, id) in entry["with-ids"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(id) = id.as_str() else { continue };
        if !known.contains(id) {
            unknown.push(Problem::new(
                Rule::UnknownControl,
                format!("{at}/with-ids/{k}"),
                vec![("id", id.to_owned()), ("catalog", framework.title.clone())],
            ));
            continue;
        }
        out.push(id.to_owned());
        if children {
            out.extend(framework.descendants(id).into_iter().map(str::to_owned));
        }
    }
    for matching in entry["matching"].as_array().into_iter().flatten() {
        let pattern = matching["pattern"].as_str().unwrap_or_default();
        for control in &framework.controls {
            if glob(pattern.as_bytes(), control.id.as_bytes()) {
                out.push(control.id.clone());
                if children {
                    out.extend(
                        framework
                            .descendants(&control.id)
                            .into_iter()
                            .map(str::to_owned),
                    );
                }
            }
        }
    }
    out
}

/// Resolves `profile`. With `catalog`, every import reads from it instead of
/// the profile's own `href`s (for remote imports, or another copy).
pub fn resolve(profile: &Document, catalog: Option<&Document>) -> Result<Resolution, ResolveError> {
    resolve_at(profile, catalog, 0)
}

fn resolve_at(
    profile: &Document,
    catalog: Option<&Document>,
    depth: usize,
) -> Result<Resolution, ResolveError> {
    if profile.model != Model::Profile {
        return Err(ResolveError(format!(
            "{} is an OSCAL {}, not a profile",
            profile.file, profile.model
        )));
    }
    if depth > MAX_DEPTH {
        return Err(ResolveError(format!(
            "{}: profiles import each other more than {MAX_DEPTH} deep (a cycle?)",
            profile.file
        )));
    }
    let root = profile.root();
    let as_is = root["merge"]["as-is"] == true;
    let mut sources = Vec::new();
    let mut unknown = Vec::new();
    let mut controls: Vec<ReferenceControl> = Vec::new();
    let mut selected_all: Vec<String> = Vec::new();
    let mut all_known: HashSet<String> = HashSet::new();
    for (i, import) in root["imports"].as_array().into_iter().flatten().enumerate() {
        let href = import["href"].as_str().unwrap_or_default();
        let framework = match catalog {
            Some(doc) => {
                sources.push(doc.file.clone());
                imported(doc, depth)?
            }
            None => {
                let path = candidates(profile, href)?.remove(0);
                let doc = document::read(&path).map_err(|e| ResolveError(e.to_string()))?;
                sources.push(doc.file.clone());
                imported(&doc, depth)?
            }
        };
        let known: HashSet<&str> = framework.controls.iter().map(|c| c.id.as_str()).collect();
        all_known.extend(known.iter().map(|s| (*s).to_owned()));
        let at = format!("/profile/imports/{i}");
        let mut keep: HashSet<String> = HashSet::new();
        if import.get("include-all").is_some() {
            keep.extend(known.iter().map(|s| (*s).to_owned()));
        }
        for (j, entry) in import["include-controls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            keep.extend(select_ids(
                entry,
                &format!("{at}/include-controls/{j}"),
                &framework,
                &known,
                &mut unknown,
            ));
        }
        for (j, entry) in import["exclude-controls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for id in select_ids(
                entry,
                &format!("{at}/exclude-controls/{j}"),
                &framework,
                &known,
                &mut unknown,
            ) {
                keep.remove(&id);
            }
        }
        let chosen = if as_is {
            framework.select(&keep)
        } else {
            ReferenceFramework {
                controls: framework
                    .controls
                    .iter()
                    .filter(|c| keep.contains(&c.id))
                    .cloned()
                    .collect(),
                ..framework.clone()
            }
        };
        let have: HashSet<String> = controls.iter().map(|c| c.id.clone()).collect();
        controls.extend(
            chosen
                .controls
                .into_iter()
                .filter(|c| !have.contains(&c.id)),
        );
        selected_all.extend(
            framework
                .controls
                .iter()
                .filter(|c| keep.contains(&c.id))
                .map(|c| c.id.clone()),
        );
    }
    for (k, alter) in root["modify"]["alters"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(id) = alter["control-id"].as_str()
            && !all_known.contains(id)
        {
            unknown.push(Problem::new(
                Rule::UnknownControl,
                format!("/profile/modify/alters/{k}/control-id"),
                vec![("id", id.to_owned()), ("catalog", sources.join(", "))],
            ));
        }
    }
    let mut seen = HashSet::new();
    selected_all.retain(|id| seen.insert(id.clone()));
    Ok(Resolution {
        framework: ReferenceFramework {
            id: root["uuid"].as_str().unwrap_or_default().to_owned(),
            title: profile.metadata_str("title").unwrap_or_default().to_owned(),
            version: profile
                .metadata_str("version")
                .unwrap_or_default()
                .to_owned(),
            oscal_version: profile.oscal_version().unwrap_or_default().to_owned(),
            controls,
        },
        selected: selected_all,
        sources,
        unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn matching_patterns_use_wildcards() {
        assert!(glob(b"ac-*", b"ac-2.1"));
        assert!(glob(b"ac-?", b"ac-2"));
        assert!(!glob(b"ac-?", b"ac-22"));
        assert!(!glob(b"au-*", b"ac-2"));
    }
}
