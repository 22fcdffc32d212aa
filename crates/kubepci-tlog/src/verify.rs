//! Proof verification, following RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).

use crate::error::ProofError;
use crate::hash::{Hash, node_hash};

/// Number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // Levels below the point where the paths to `index` and to the last leaf meet, plus one
    // hash for each left sibling on the shared part of the path.
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    Ok((inner + border) as usize)
}

/// Number of hashes in the consistency proof between trees of `old` and `new` leaves.
pub fn consistency_proof_len(old: u64, new: u64) -> Result<usize, ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    if old == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    if old == new {
        return Ok(0);
    }
    let inner = 64 - ((old - 1) ^ (new - 1)).leading_zeros();
    let border = ((old - 1) >> inner).count_ones();
    let shift = old.trailing_zeros();
    let seed = usize::from(!old.is_power_of_two());
    Ok(seed + (inner - shift) as usize + border as usize)
}

/// RFC 9162 §2.1.3.2: the root that an inclusion proof leads to, without comparing it.
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    let want = inclusion_proof_len(index, size)?;
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    Ok(r)
}

/// RFC 9162 §2.1.3.2: checks that `leaf` (a leaf hash) is leaf number `index` of the tree of
/// `size` leaves with root `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(index, size, leaf, proof)?;
    if computed == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// RFC 9162 §2.1.4.2: checks that the tree of `old` leaves with root `old_root` is a prefix of
/// the tree of `new` leaves with root `new_root`.
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), ProofError> {
    let want = consistency_proof_len(old, new)?;
    if proof.len() != want {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    if old == new {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    // Step 2: if the old size is a power of two, the old root is the first proof element.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let mut fnode = old - 1;
    let mut snode = new - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (first, rest) = path.split_first().ok_or(ProofError::WrongProofLength {
        got: proof.len(),
        want,
    })?;
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    if fr != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
