//! The ISMAP lists as statement rule S7 reads them (the registry), built
//! from the registrations table and kept until a registration or an
//! application changes. The version is the public lists' (`ListVersion`):
//! every such change records its event in the same transaction, whichever
//! process makes it, so a check never reads a registry older than the
//! data it can see.

use std::sync::{Arc, Mutex};

use ismap_domain::Registry;
use ismap_store::registrations::{self, ListVersion};

use crate::AppState;
use crate::error::Failure;

#[derive(Default)]
pub struct RegistryCache {
    kept: Mutex<Option<(ListVersion, Arc<Registry>)>>,
}

/// The registry as the database holds it now.
pub async fn current(state: &AppState) -> Result<Arc<Registry>, Failure> {
    let version = registrations::list_version(&state.db).await?;
    {
        let kept = state
            .registry
            .kept
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some((at, registry)) = kept.as_ref()
            && *at == version
        {
            return Ok(registry.clone());
        }
    }
    let registry = Arc::new(registrations::registry(&state.db).await?);
    let mut kept = state
        .registry
        .kept
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    // A slower request that read an older version does not replace a newer one.
    if kept.as_ref().is_none_or(|(at, _)| version.at_least(at)) {
        *kept = Some((version, registry.clone()));
    }
    Ok(registry)
}
