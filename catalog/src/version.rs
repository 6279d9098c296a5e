//! The catalog version: a content hash that ties a cart to the menu it was priced with.

use sha2::{Digest, Sha256};

use crate::site::Site;

/// A short hex hash of everything that affects prices and what can be ordered.
///
/// Two builds of the same content give the same version; any change to a menu,
/// a location, a campaign or the charges gives a new one.
pub fn catalog_version(site: &Site) -> String {
    let mut hasher = Sha256::new();
    // Serializing a Site cannot fail: it holds only strings, numbers and maps with string keys.
    let bytes = serde_json::to_vec(&(
        &site.settings,
        &site.locations,
        &site.menus,
        &site.campaigns,
    ))
    .unwrap_or_default();
    hasher.update(&bytes);
    hex::encode(&hasher.finalize()[..6])
}
