//! The ledger's signed head: what the site publishes so that no one, the holder of the key
//! included, can rewrite or cut what was published without it showing.
//!
//! The entries are the leaves of a Merkle tree as Certificate Transparency builds it (RFC 9162,
//! section 2.1: SHA-256, a leaf hashed behind a 0x00 byte and a node behind 0x01), each leaf a
//! few public lines about its entry ([`leaf`]): its number, its action, its credential, the
//! SHA-256 of the signed credential and of the whole entry, nothing about the student. The
//! head is the tree's size and root, written as a checkpoint (C2SP `tlog-checkpoint`: the
//! origin, the size, the root in base64) and signed as a C2SP signed note with the school's
//! Ed25519 key, the text format Go's checksum database and Sigstore's logs use, so tools made
//! for those logs can read it.
//!
//! What it proves: every entry up to the head's size is fixed. A ledger that no longer gives
//! the same root over its first `size` entries was rewritten (or forked) after the head was
//! signed, and one with fewer entries was cut; `mastery log --verify` checks both against the
//! head the site published. Each credential's record on the site carries the path from its
//! leaf to the root of a signed head, so `mastery verify --site` can check that the
//! credential is in the ledger without seeing any other entry.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{InclusionProof, RootHash};
use sha2::{Digest, Sha256};

use super::ledger::{Action, Entry};
use crate::credential::issuer::Signer;
use crate::credential::proof;

/// The signed head of the ledger as the last issue or revocation left it, in the school
/// folder, beside the ledger.
pub const CHECKPOINT: &str = "ledger.checkpoint";

/// The line that starts a signature of a signed note (an em dash and a space).
const SIGNATURE_LINE: &str = "\u{2014} ";

/// The signature type of Ed25519 in a signed note's key id.
const ED25519: u8 = 0x01;

/// The public lines of one entry that are its leaf in the tree.
pub fn leaf(entry: &Entry) -> Vec<u8> {
    let action = match entry.action {
        Action::Issue => "issue",
        Action::Revoke => "revoke",
        Action::Disclose => "disclose",
    };
    leaf_text(entry.seq, action, &entry.credential_id, entry.credential_sha256.as_deref(), &entry.hash)
}

/// A leaf from its parts: what a verifier rebuilds from a credential and its record.
pub fn leaf_text(seq: u64, action: &str, credential: &str, credential_sha256: Option<&str>, entry: &str) -> Vec<u8> {
    let credential_sha256 = credential_sha256.unwrap_or("-");
    format!(
        "mastery ledger leaf\nseq {seq}\naction {action}\ncredential {credential}\ncredential_sha256 {credential_sha256}\nentry_sha256 {entry}\n"
    )
    .into_bytes()
}

/// The Merkle tree of a ledger's entries.
pub struct Tree(MemoryBackedTree<Sha256, Vec<u8>>);

impl Tree {
    /// The tree of these entries, in their order.
    pub fn of(entries: &[Entry]) -> Tree {
        let mut tree = MemoryBackedTree::new();
        for entry in entries {
            tree.push(leaf(entry));
        }
        Tree(tree)
    }

    /// How many leaves it has.
    pub fn size(&self) -> u64 {
        self.0.len()
    }

    /// Its root hash (RFC 9162's MTH; for no entries, the SHA-256 of nothing).
    pub fn root(&self) -> [u8; 32] {
        if self.0.is_empty() {
            return Sha256::digest(b"").into();
        }
        self.0.root().as_bytes().0
    }

    /// The hashes from leaf `index` (from 0) up to the root.
    pub fn inclusion(&self, index: u64) -> Vec<[u8; 32]> {
        let proof = self.0.prove_inclusion(index as usize);
        proof.as_bytes().chunks_exact(32).map(|chunk| chunk.try_into().expect("32 bytes")).collect()
    }
}

/// Whether `leaf` is leaf `index` (from 0) of the tree of `size` leaves whose root is `root`,
/// by the hashes of its inclusion proof.
pub fn includes(root: &[u8; 32], size: u64, index: u64, leaf: &[u8], proof: &[[u8; 32]]) -> Result<(), String> {
    let root = RootHash::<Sha256>::new((*root).into(), size);
    let proof = InclusionProof::<Sha256>::from_bytes(proof.concat());
    root.verify_inclusion(&leaf, index, &proof)
        .map_err(|e| format!("its inclusion proof does not lead to the head's root ({e})"))
}

/// A head: the tree's size and root, for the log named `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The log's name: the verification address without its scheme.
    pub origin: String,
    /// How many entries it covers.
    pub size: u64,
    /// The root of the tree of those entries.
    pub root: [u8; 32],
}

/// The origin of the school's log: its verification address without `https://`.
pub fn origin(base: &str) -> String {
    base.trim_start_matches("https://").trim_end_matches('/').to_string()
}

impl Head {
    /// The head of these entries.
    pub fn of(base: &str, entries: &[Entry]) -> Head {
        Head { origin: origin(base), size: entries.len() as u64, root: Tree::of(entries).root() }
    }

    /// The checkpoint's text: the origin, the size and the root, a line each.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, STANDARD.encode(self.root))
    }

    /// The checkpoint signed with the school's key: a C2SP signed note whose key name is the
    /// verification method.
    pub fn sign(&self, signer: &Signer) -> String {
        let body = self.body();
        let name = signer.verification_method();
        let mut signature = key_id(name, &signer.key().public_bytes()).to_vec();
        signature.extend_from_slice(&signer.key().sign_bytes(body.as_bytes()));
        format!("{body}\n{SIGNATURE_LINE}{name} {}\n", STANDARD.encode(signature))
    }
}

/// The key id of a signed note's signature line: the first four bytes of the SHA-256 of the
/// key's name, a newline, the signature type and the public key.
fn key_id(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(public);
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A signed head as read: the head and the verification method whose signature on it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The head.
    pub head: Head,
    /// The verification method that signed it.
    pub signed_by: String,
}

/// Reads a signed checkpoint and checks its signature: the first signature line whose key
/// name is a verification method naming its Ed25519 key, and that key's signature of the
/// text. Anything else is refused, with why.
pub fn read(text: &str) -> Result<Signed, String> {
    let (body, signatures) =
        text.split_once("\n\n").ok_or("it is not a signed note (no blank line before a signature)")?;
    let body = format!("{body}\n");
    let mut lines = body.lines();
    let origin = lines.next().filter(|l| !l.is_empty()).ok_or("it has no origin line")?.to_string();
    let size = lines.next().and_then(|l| l.parse::<u64>().ok()).ok_or("its second line is not the tree's size")?;
    let root: [u8; 32] = lines
        .next()
        .and_then(|l| STANDARD.decode(l).ok())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or("its third line is not a SHA-256 root in base64")?;
    let mut why = "it carries no signature".to_string();
    for line in signatures.lines() {
        let Some((name, encoded)) = line.strip_prefix(SIGNATURE_LINE).and_then(|rest| rest.rsplit_once(' ')) else {
            return Err(format!("\"{line}\" is not a signature line"));
        };
        let Some(bytes) = STANDARD.decode(encoded).ok().filter(|b| b.len() == 4 + 64) else {
            why = format!("the signature of {name} is not a key id and an Ed25519 signature");
            continue;
        };
        let public = match proof::public_key_of(name) {
            Ok(public) => public.to_bytes(),
            Err(error) => {
                why = error.to_string();
                continue;
            }
        };
        if bytes[..4] != key_id(name, &public) {
            why = format!("the signature's key id is not that of {name}");
            continue;
        }
        match proof::verify_bytes(name, body.as_bytes(), &bytes[4..]) {
            Ok(()) => return Ok(Signed { head: Head { origin, size, root }, signed_by: name.to_string() }),
            Err(error) => why = error.to_string(),
        }
    }
    Err(why)
}

/// How a ledger stands against a head signed earlier: the same entries up to its size.
pub fn agrees(entries: &[Entry], head: &Head) -> Result<(), String> {
    let size = head.size as usize;
    if entries.len() < size {
        return Err(format!(
            "the ledger has {} entries, but the head signed over {size}: entries {} to {size} were removed",
            entries.len(),
            entries.len() + 1
        ));
    }
    if Tree::of(&entries[..size]).root() != head.root {
        return Err(format!(
            "the ledger's first {size} entries are not those the head was signed over: the ledger was rewritten after it"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::proof::Key;
    use crate::model::CredentialSettings;

    fn signer() -> Signer {
        let key = Key::from_seed([7; 32]);
        let settings =
            CredentialSettings::new(&key.did_key(), &format!("{}#{}", key.did_key(), key.public_multibase()));
        Signer::new(&settings, key).unwrap()
    }

    /// The roots of the first n of the eight leaves of RFC 6962's reference test data (the
    /// leaves 0x, 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f),
    /// computed by an independent implementation of MTH (Python's hashlib).
    const REFERENCE_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn reference_leaves() -> Vec<Vec<u8>> {
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .iter()
            .map(|h| (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect())
            .collect()
    }

    #[test]
    fn the_tree_gives_rfc_6962s_reference_roots_and_proofs_that_hold() {
        let leaves = reference_leaves();
        for n in 1..=leaves.len() {
            let mut tree = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            for leaf in &leaves[..n] {
                tree.push(leaf.clone());
            }
            let tree = Tree(tree);
            assert_eq!(crate::digest::hex(&tree.root()), REFERENCE_ROOTS[n - 1], "root of {n} leaves");
            for (i, leaf) in leaves[..n].iter().enumerate() {
                let proof = tree.inclusion(i as u64);
                assert_eq!(includes(&tree.root(), n as u64, i as u64, leaf, &proof), Ok(()));
                // Another leaf, another index or another size does not pass.
                assert!(includes(&tree.root(), n as u64, i as u64, b"other", &proof).is_err());
                if n > 1 {
                    let other = (i as u64 + 1) % n as u64;
                    assert!(includes(&tree.root(), n as u64, other, leaf, &proof).is_err());
                }
            }
        }
        assert_eq!(
            crate::digest::hex(&Tree::of(&[]).root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_signed_head_reads_back_and_any_change_to_it_is_refused() {
        let signer = signer();
        let head = Head { origin: "records.school.example/transcripts".to_string(), size: 42, root: [9; 32] };
        let text = head.sign(&signer);
        assert!(text.starts_with("records.school.example/transcripts\n42\nCQkJ"), "{text}");
        assert_eq!(read(&text), Ok(Signed { head: head.clone(), signed_by: signer.verification_method().to_string() }));
        // The size changed, the root changed, or the signature of another key.
        assert!(read(&text.replacen("\n42\n", "\n41\n", 1)).is_err());
        assert!(read(&text.replacen("CQkJ", "CQkK", 1)).is_err());
        let other = {
            let key = Key::from_seed([8; 32]);
            let settings =
                CredentialSettings::new(&key.did_key(), &format!("{}#{}", key.did_key(), key.public_multibase()));
            Signer::new(&settings, key).unwrap()
        };
        let forged = head.sign(&other).replace(other.verification_method(), signer.verification_method());
        assert!(read(&forged).is_err(), "a signature made by another key under the school's name");
        assert!(read(&head.body()).is_err(), "an unsigned checkpoint");
    }
}
