//! Catalog packs embedded in the binary, so `ismap` works with no other file.

use std::sync::OnceLock;

use ismap_domain::Catalog;

use crate::catalog_pack::load_pack;

/// The bundled excerpt of the 2022 edition (spec §2 "Identifier facts").
pub const ISMAP_2022_EXCERPT: &str = "ismap-2022-excerpt";

const PACKS: &[(&str, &str)] = &[(
    "catalogs/ismap-2022-excerpt.yaml",
    include_str!("../../../catalogs/ismap-2022-excerpt.yaml"),
)];

/// Every bundled catalog, parsed and checked once per process. A broken
/// bundled pack is a build defect, caught by this crate's tests.
pub fn bundled_catalogs() -> &'static [Catalog] {
    static CATALOGS: OnceLock<Vec<Catalog>> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        PACKS
            .iter()
            .map(|(file, text)| {
                load_pack(file, text)
                    .unwrap_or_else(|error| panic!("bundled catalog pack is invalid:\n{error}"))
            })
            .collect()
    })
}

/// The bundled packs as (file name, text), for storing them in a database.
pub fn bundled_packs() -> &'static [(&'static str, &'static str)] {
    PACKS
}

/// The bundled catalog with this id.
pub fn bundled_catalog(id: &str) -> Option<&'static Catalog> {
    bundled_catalogs().iter().find(|c| c.id() == id)
}

/// The catalog used when none is named.
pub fn default_catalog() -> &'static Catalog {
    bundled_catalog(ISMAP_2022_EXCERPT).expect("the default catalog is bundled")
}
