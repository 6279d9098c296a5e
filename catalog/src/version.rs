//! The catalog version: a content hash that ties a cart to the menu it was priced with.

use sha2::{Digest, Sha256};

use crate::site::Site;

/// A short hex hash of everything that affects prices and what can be ordered.
///
/// Two builds of the same content give the same version; any change to a menu,
/// a location, a campaign or the charges gives a new one.
pub fn catalog_version(site: &Site) -> String {
    let mut hasher = HashingWriter(Sha256::new());
    // Serializing a Site cannot fail: it holds only strings, numbers and maps with string
    // keys; the JSON goes straight into the hash, through a buffer (serde_json writes a
    // few bytes at a time: a chain's site is ~10^6 writes, each a hasher update).
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut hasher);
    let _ = serde_json::to_writer(
        &mut buffered,
        &(
            &site.settings,
            &site.locations,
            &site.menus,
            &site.campaigns,
        ),
    );
    let _ = std::io::Write::flush(&mut buffered);
    drop(buffered);
    hex::encode(&hasher.0.finalize()[..6])
}

/// Feeds what is written to a SHA-256.
struct HashingWriter(Sha256);

impl std::io::Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
