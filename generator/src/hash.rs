//! The 64-bit hashes a build compares within one process: a dish's or a page's inputs
//! (is it the same as last build?) and a written file's bytes. foldhash with a fixed
//! seed: several times faster than std's SipHash on these inputs (a rebuild hashed
//! every page's context with it), and its quality variant mixes fully, so unequal
//! inputs share a key no more often than random 64-bit values would.

use std::hash::BuildHasher;

/// A hasher of the build's keys, the same in every build of one process.
pub fn hasher() -> foldhash::quality::FoldHasher<'static> {
    foldhash::quality::FixedState::with_seed(0x0ca7_7e00).build_hasher()
}
