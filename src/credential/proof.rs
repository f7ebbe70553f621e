//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite, as 1EdTech's Open Badges 3.0
//! and CLR 2.0 use them, and the Ed25519 keys that make them.
//!
//! Signing a credential:
//! 1. expand the credential (without `proof`) from JSON-LD into RDF and write it as RDFC-1.0
//!    canonical N-Quads; do the same with the proof options (the proof without `proofValue`,
//!    under the credential's `@context`);
//! 2. hash both with SHA-256 and sign `hash(proof options) ‖ hash(credential)` with Ed25519;
//! 3. store the signature as `proofValue`: `z` and the signature in base58btc.
//!
//! The credential is read as JSON-LD the way the verifiers in the field read it (safe mode:
//! see [`super::jsonld`]); what they would refuse is refused here before anything is signed.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{jsonld, rdfc};

/// The Data Integrity cryptosuite of every proof: Ed25519 over RDFC-1.0 canonical N-Quads.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";

/// Why a proof could not be made or does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofError(pub String);

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProofError {}

fn error(message: impl Into<String>) -> ProofError {
    ProofError(message.into())
}

/// The RDFC-1.0 canonical N-Quads of a JSON-LD document.
pub fn canonical_nquads(document: &Value) -> Result<String, ProofError> {
    let quads = jsonld::to_rdf(document).map_err(|e| error(format!("cannot read the credential as JSON-LD: {e}")))?;
    rdfc::canonical_nquads(&quads).map_err(|e| error(e.to_string()))
}

/// The bytes Ed25519 signs: SHA-256 of the canonical proof options, then of the canonical
/// document. `proof` is the proof without `proofValue`; it is read under the document's
/// `@context`.
pub fn signing_input(document: &Value, proof: &Value) -> Result<Vec<u8>, ProofError> {
    let mut unsecured = document.clone();
    if let Some(object) = unsecured.as_object_mut() {
        object.remove("proof");
    }
    let mut options = proof.clone();
    let options_object = options.as_object_mut().ok_or_else(|| error("a proof must be an object"))?;
    options_object.remove("proofValue");
    options_object.insert("@context".to_string(), document.get("@context").cloned().unwrap_or(Value::Null));
    let mut input = Sha256::digest(canonical_nquads(&options)?.as_bytes()).to_vec();
    input.extend_from_slice(&Sha256::digest(canonical_nquads(&unsecured)?.as_bytes()));
    Ok(input)
}

/// An Ed25519 key pair, written as a Multikey.
#[derive(Clone)]
pub struct Key {
    signing: SigningKey,
}

const ED25519_PUBLIC: [u8; 2] = [0xed, 0x01];
const ED25519_SECRET: [u8; 2] = [0x80, 0x26];

impl Key {
    /// A new random key.
    pub fn generate() -> Result<Key, ProofError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| error(format!("no random numbers from the system ({e})")))?;
        Ok(Key::from_seed(seed))
    }

    /// The key of a 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Key {
        Key { signing: SigningKey::from_bytes(&seed) }
    }

    /// The public key as a multibase Multikey value: `z6Mk...`.
    pub fn public_multibase(&self) -> String {
        multibase(&ED25519_PUBLIC, self.signing.verifying_key().as_bytes())
    }

    /// The secret key as a multibase Multikey value: `z3u2...`. Keep it secret.
    pub fn secret_multibase(&self) -> String {
        multibase(&ED25519_SECRET, self.signing.as_bytes())
    }

    /// The key's `did:key` identifier.
    pub fn did_key(&self) -> String {
        format!("did:key:{}", self.public_multibase())
    }

    /// The key file `mastery keygen` writes.
    pub fn to_json(&self) -> Value {
        json!({
            "type": "Multikey",
            "publicKeyMultibase": self.public_multibase(),
            "secretKeyMultibase": self.secret_multibase(),
            "didKey": self.did_key(),
            "verificationMethod": format!("{}#{}", self.did_key(), self.public_multibase()),
        })
    }

    /// Reads a key file written by `mastery keygen`.
    pub fn from_json(value: &Value) -> Result<Key, ProofError> {
        let secret = value
            .get("secretKeyMultibase")
            .and_then(Value::as_str)
            .ok_or_else(|| error("the key file has no secretKeyMultibase"))?;
        let bytes = from_multibase(secret, &ED25519_SECRET)?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| error("secretKeyMultibase is not a 32-byte Ed25519 key"))?;
        let key = Key::from_seed(seed);
        if let Some(public) = value.get("publicKeyMultibase").and_then(Value::as_str)
            && public != key.public_multibase()
        {
            return Err(error("the key file's public key does not belong to its secret key"));
        }
        Ok(key)
    }

    /// Signs `document` and returns it with the proof added (as a one-element `proof` list).
    pub fn sign(&self, document: &Value, verification_method: &str, created: &str) -> Result<Value, ProofError> {
        let mut proof = json!({
            "type": "DataIntegrityProof",
            "created": created,
            "verificationMethod": verification_method,
            "cryptosuite": CRYPTOSUITE,
            "proofPurpose": "assertionMethod",
        });
        let input = signing_input(document, &proof)?;
        let signature = self.signing.sign(&input);
        proof["proofValue"] = Value::String(format!("z{}", bs58::encode(signature.to_bytes()).into_string()));
        let mut signed = document.clone();
        signed["proof"] = json!([proof]);
        Ok(signed)
    }

    /// Signs a message with plain Ed25519 (RFC 8032), not as a Data Integrity proof: the
    /// ledger's entries and its signed head.
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The raw 32 bytes of the public key.
    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// A value derived from the secret key and `label`, that no one without the key can
    /// compute: the salt of a student's hashed identifiers.
    pub fn derive(&self, label: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"mastery identity salt\0");
        hasher.update(self.signing.as_bytes());
        hasher.update(label.as_bytes());
        crate::digest::hex(&hasher.finalize())[..32].to_string()
    }
}

fn multibase(prefix: &[u8; 2], bytes: &[u8]) -> String {
    let mut data = prefix.to_vec();
    data.extend_from_slice(bytes);
    format!("z{}", bs58::encode(data).into_string())
}

fn from_multibase(text: &str, prefix: &[u8; 2]) -> Result<Vec<u8>, ProofError> {
    let encoded = text
        .strip_prefix('z')
        .ok_or_else(|| error(format!("{text} is not base58btc multibase (it must start with z)")))?;
    let bytes = bs58::decode(encoded).into_vec().map_err(|e| error(format!("{text} is not base58btc ({e})")))?;
    bytes
        .strip_prefix(prefix.as_slice())
        .map(<[u8]>::to_vec)
        .ok_or_else(|| error(format!("{text} is not an Ed25519 Multikey")))
}

/// The public key a verification method names, when it can be known offline: a `did:key`, a
/// method whose fragment is an Ed25519 Multikey (`did:web:school.org#z6Mk...`), or an address
/// whose last segment is one (`https://school.org/keys/z6Mk...`).
pub fn public_key_of(verification_method: &str) -> Result<VerifyingKey, ProofError> {
    let multikey = match verification_method.strip_prefix("did:key:") {
        Some(rest) => rest.split('#').next().unwrap_or(rest),
        None => match verification_method.rsplit_once('#') {
            Some((_, fragment)) => fragment,
            None => verification_method.rsplit('/').next().unwrap_or(""),
        },
    };
    if !multikey.starts_with("z6Mk") {
        return Err(error(format!(
            "cannot tell the public key of {verification_method} offline; use a did:key, or a method that ends in the key (#z6Mk... or /z6Mk...)"
        )));
    }
    let bytes = from_multibase(multikey, &ED25519_PUBLIC)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| error("the public key is not 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| error(format!("not an Ed25519 public key ({e})")))
}

/// Checks a plain Ed25519 signature of `message` by the key `verification_method` names.
pub fn verify_bytes(verification_method: &str, message: &[u8], signature: &[u8]) -> Result<(), ProofError> {
    let key = public_key_of(verification_method)?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| error("the signature is not 64 bytes"))?;
    key.verify_strict(message, &Signature::from_bytes(&signature))
        .map_err(|_| error(format!("the signature is not one the key of {verification_method} made")))
}

/// Checks one `eddsa-rdfc-2022` proof of `document`.
pub fn verify_proof(document: &Value, proof: &Value) -> Result<(), ProofError> {
    let field = |name: &str| proof.get(name).and_then(Value::as_str);
    if field("type") != Some("DataIntegrityProof") || field("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(error(format!(
            "unsupported proof type {} / {}; mastery checks DataIntegrityProof with eddsa-rdfc-2022",
            field("type").unwrap_or("(none)"),
            field("cryptosuite").unwrap_or("(none)")
        )));
    }
    if field("proofPurpose") != Some("assertionMethod") {
        return Err(error("the proof's purpose is not assertionMethod"));
    }
    let method = field("verificationMethod").ok_or_else(|| error("the proof names no verificationMethod"))?;
    let key = public_key_of(method)?;
    let value = field("proofValue").ok_or_else(|| error("the proof has no proofValue"))?;
    let signature = value
        .strip_prefix('z')
        .and_then(|v| bs58::decode(v).into_vec().ok())
        .and_then(|bytes| Signature::from_slice(&bytes).ok())
        .ok_or_else(|| error("the proofValue is not a base58btc Ed25519 signature"))?;
    let input = signing_input(document, proof)?;
    key.verify(&input, &signature).map_err(|_| error(format!("the signature by {method} does not match the credential: it was changed after signing, or signed by another key")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_file() {
        let key = Key::from_seed([7; 32]);
        let again = Key::from_json(&key.to_json()).unwrap();
        assert_eq!(again.public_multibase(), key.public_multibase());
        assert!(key.public_multibase().starts_with("z6Mk"));
        assert_eq!(public_key_of(&key.did_key()).unwrap(), key.signing.verifying_key());
    }

    #[test]
    fn unknown_contexts_are_refused() {
        let document = json!({"@context": ["https://example.org/other"], "id": "urn:x"});
        let error = canonical_nquads(&document).unwrap_err().0;
        assert!(error.contains("/@context/0: unknown JSON-LD context https://example.org/other"), "{error}");
    }
}
