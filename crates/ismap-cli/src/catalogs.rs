//! The catalogs a command can use: the bundled ones plus any `--pack` files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result, bail};
use ismap_domain::Catalog;
use ismap_formats::bundled::{ISMAP_2022_EXCERPT, bundled_catalogs};
use ismap_formats::catalog_pack::load_pack;

pub struct Catalogs {
    loaded: Vec<Catalog>,
}

impl Catalogs {
    pub fn load(packs: &[PathBuf]) -> Result<Catalogs> {
        let mut loaded = Vec::new();
        for path in packs {
            let text = read_text(path)?;
            let catalog = load_pack(&path.display().to_string(), &text)
                .map_err(|e| anyhow::anyhow!("catalog pack {} is invalid:\n{e}", path.display()))?;
            if bundled_catalogs().iter().any(|c| c.id() == catalog.id()) {
                bail!(
                    "{}: catalog id {:?} is already bundled; give the pack its own id",
                    path.display(),
                    catalog.id()
                );
            }
            loaded.push(catalog);
        }
        Ok(Catalogs { loaded })
    }

    pub fn all(&self) -> Vec<&Catalog> {
        bundled_catalogs().iter().chain(&self.loaded).collect()
    }

    /// The catalog named `id`, or the bundled default.
    pub fn get(&self, id: Option<&str>) -> Result<&Catalog> {
        let id = id.unwrap_or(ISMAP_2022_EXCERPT);
        self.all()
            .into_iter()
            .find(|c| c.id() == id)
            .with_context(|| {
                let known: Vec<&str> = self.all().iter().map(|c| c.id()).collect();
                format!(
                    "no catalog {id:?}; known catalogs: {} (add one with --pack FILE)",
                    known.join(", ")
                )
            })
    }
}

/// The largest input, in bytes (`--max-input-mib`): set once in `main`,
/// before any file is read.
static MAX_INPUT: AtomicU64 = AtomicU64::new(ismap_formats::limits::DEFAULT_MAX_INPUT_BYTES);

pub fn set_max_input(bytes: u64) {
    MAX_INPUT.store(bytes, Ordering::Relaxed);
}

/// The largest input, in bytes; also what an .xlsx may unzip to.
pub fn max_input() -> u64 {
    MAX_INPUT.load(Ordering::Relaxed)
}

/// Reads a file the user named, at most [`max_input`] bytes (issue 12: a
/// pipe or `/dev/zero` is read to one byte past the limit, never further).
pub fn read_bytes(path: &std::path::Path) -> Result<Vec<u8>> {
    ismap_formats::limits::read_file(path, max_input()).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Reads a UTF-8 text file, saying which file failed and why.
pub fn read_text(path: &std::path::Path) -> Result<String> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes)
        .map(|text| {
            text.strip_prefix('\u{feff}')
                .map(str::to_owned)
                .unwrap_or(text)
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "{} is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })
}

/// Writes `text` to `path`, refusing to replace an existing file unless
/// `force` is set, or to standard output when `path` is `None`.
pub fn write_output(path: Option<&std::path::Path>, text: &str, force: bool) -> Result<()> {
    write_bytes(path, text.as_bytes(), force)
}

/// Like [`write_output`], for any bytes.
pub fn write_bytes(path: Option<&std::path::Path>, bytes: &[u8], force: bool) -> Result<()> {
    use std::io::Write;
    match path {
        None => {
            crate::output::write_stdout_bytes(bytes);
            Ok(())
        }
        Some(path) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true);
            if force {
                options.create(true).truncate(true);
            } else {
                options.create_new(true);
            }
            let mut file = options.open(path).with_context(|| {
                if path.exists() && !force {
                    format!(
                        "{} already exists; choose another name or pass --force to replace it",
                        path.display()
                    )
                } else {
                    format!("cannot write {}", path.display())
                }
            })?;
            file.write_all(bytes)
                .with_context(|| format!("cannot write {}", path.display()))
        }
    }
}
