//! SHA-256 digests as the files and records of `mastery` write them: lowercase hex.

use sha2::{Digest, Sha256};

/// SHA-256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}
