//! RFC 6962 §2.1 hashing.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
///
/// Equality is constant-time, so comparing a computed root with an expected one leaks nothing
/// about where they differ.
#[derive(Clone, Copy, Default, Eq)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Reads a hash from a slice of exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; HASH_SIZE]>::try_from(bytes).ok().map(Hash)
    }

    /// Lower-case hexadecimal form.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(HASH_SIZE * 2);
        for byte in self.0 {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        out
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != HASH_SIZE * 2 {
            return None;
        }
        let mut out = [0u8; HASH_SIZE];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0])?;
            let lo = hex_value(pair[1])?;
            out[i] = (hi << 4) | lo;
        }
        Some(Hash(out))
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl PartialEq for Hash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// RFC 6962 §2.1: the hash of a leaf is `SHA-256(0x00 || leaf)`.
///
/// The `0x00` prefix separates leaf hashes from interior node hashes (`0x01`), so that no leaf
/// can be passed off as an interior node (second-preimage resistance).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    Hash(hasher.finalize().into())
}

/// RFC 6962 §2.1: an interior node's hash is `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut block = [0u8; 1 + 2 * HASH_SIZE];
    block[0] = 0x01;
    block[1..1 + HASH_SIZE].copy_from_slice(&left.0);
    block[1 + HASH_SIZE..].copy_from_slice(&right.0);
    Hash(Sha256::digest(block).into())
}

/// RFC 6962 §2.1: the root of the empty tree is `SHA-256("")`.
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = leaf_hash(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex("zz"), None);
        assert_eq!(Hash::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
