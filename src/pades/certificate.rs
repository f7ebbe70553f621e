//! The school's document-signing certificate and key: read, checked before anything is
//! signed, and made new for `mastery keygen --x509`.
//!
//! A certificate can sign the school's PDFs when it holds the public half of the key it is
//! given with, is valid on the issue date, and is meant for signing documents: its key usage
//! allows digital signatures (or non-repudiation), and its extended key usage, when it has
//! one, names document signing (RFC 9336), Adobe's authentic documents, Microsoft's document
//! signing, e-mail protection or any purpose. The key is ECDSA P-256 (`PKCS #8` PEM): poppler's
//! `pdfsig`, as Debian 12 ships it, cannot check an Ed25519 PDF signature, so the key that
//! signs credentials cannot sign PDFs.

use std::str::FromStr;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, EncodePem};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile, RequestBuilder};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

/// The extended key usages that mean "may sign documents".
const DOCUMENT_SIGNING: [(&str, &str); 5] = [
    ("1.3.6.1.5.5.7.3.36", "document signing (RFC 9336)"),
    ("1.2.840.113583.1.1.5", "Adobe authentic documents"),
    ("1.3.6.1.4.1.311.10.3.12", "Microsoft document signing"),
    ("1.3.6.1.5.5.7.3.4", "e-mail protection"),
    ("2.5.29.37.0", "any purpose"),
];

/// `id-kp-documentSigning` (RFC 9336), which `keygen --x509` puts in what it makes.
const ID_KP_DOCUMENT_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.36");

/// Why a certificate or key cannot sign the school's PDFs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateProblem {
    /// The key file is not an ECDSA P-256 key.
    Key(String),
    /// The chain file holds no certificate, or one that cannot be read.
    Chain(String),
    /// The first certificate is not the key's.
    OtherKey,
    /// Not valid on the issue date.
    Expired {
        /// First day.
        from: String,
        /// Last day.
        to: String,
        /// The issue date.
        on: NaiveDate,
    },
    /// Not meant for signing documents.
    Usage(String),
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertificateProblem::Key(why) => {
                write!(f, "the document-signing key is not an ECDSA P-256 key in PKCS #8 PEM ({why})")
            }
            CertificateProblem::Chain(why) => {
                write!(f, "the certificate file holds no certificate that can be read ({why})")
            }
            CertificateProblem::OtherKey => {
                write!(f, "the certificate is for another key than the document-signing key given")
            }
            CertificateProblem::Expired { from, to, on } => {
                write!(f, "the certificate is valid from {from} to {to}, not on the issue date {on}")
            }
            CertificateProblem::Usage(why) => write!(f, "the certificate is not for signing documents: {why}"),
        }
    }
}

impl std::error::Error for CertificateProblem {}

impl CertificateProblem {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            CertificateProblem::Key(_) => {
                "make a key with `mastery keygen --x509 --out KEY.pem`, or export the CA-issued key as unencrypted PKCS #8 PEM"
            }
            CertificateProblem::Chain(_) => {
                "document_signing.certificate names a PEM file: the school's certificate first, then the CA certificates above it"
            }
            CertificateProblem::OtherKey => {
                "give the key the certificate was issued for (--pdf-key), or name the certificate issued for this key in document_signing.certificate"
            }
            CertificateProblem::Expired { .. } => {
                "renew the certificate (a new signing request with `mastery keygen --x509 --csr`), or issue on a date it covers"
            }
            CertificateProblem::Usage(_) => {
                "ask the CA for a document-signing certificate (key usage digitalSignature, extended key usage documentSigning)"
            }
        }
    }
}

/// The private key of the school's document-signing certificate.
#[derive(Clone)]
pub enum SchoolKey {
    /// ECDSA P-256, what `mastery keygen --x509` makes.
    P256(SigningKey),
    /// RSA, signing with PKCS #1 v1.5 and SHA-256: what a CA may have issued the key with.
    Rsa(Box<rsa::pkcs1v15::SigningKey<sha2_oid::Sha256>>),
}

impl SchoolKey {
    /// The key of a PKCS #8 PEM file, with the DER of its public key.
    fn from_pem(pem: &str) -> Result<(SchoolKey, Vec<u8>), String> {
        if let Ok(key) = SigningKey::from_pkcs8_pem(pem) {
            let public = key.verifying_key().to_public_key_der().map_err(|e| e.to_string())?;
            return Ok((SchoolKey::P256(key), public.as_bytes().to_vec()));
        }
        let (_, document) =
            der::SecretDocument::from_pem(pem).map_err(|e| format!("it is not a private key in PKCS #8 PEM ({e})"))?;
        let key = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(document.as_bytes())
            .map_err(|e| format!("it is neither an ECDSA P-256 nor an RSA private key ({e})"))?;
        let public = rsa::pkcs8::EncodePublicKey::to_public_key_der(&key.to_public_key()).map_err(|e| e.to_string())?;
        Ok((SchoolKey::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key))), public.as_bytes().to_vec()))
    }
}

/// The key and certificate chain that sign the school's PDFs.
#[derive(Clone)]
pub struct DocumentSigner {
    key: SchoolKey,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for DocumentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentSigner").field("certificate", &self.common_name()).finish_non_exhaustive()
    }
}

impl DocumentSigner {
    /// The signer of `key_pem` (PKCS #8, ECDSA P-256 or RSA) with the certificates of
    /// `chain_pem` (the school's first), checked for signing documents on `on`.
    pub fn new(key_pem: &str, chain_pem: &[u8], on: NaiveDate) -> Result<DocumentSigner, CertificateProblem> {
        let (key, held) = SchoolKey::from_pem(key_pem).map_err(CertificateProblem::Key)?;
        let chain = read_chain(chain_pem)?;
        let certificate = &chain[0];
        let named = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertificateProblem::Chain(e.to_string()))?;
        if held != named {
            return Err(CertificateProblem::OtherKey);
        }
        check_validity(certificate, on)?;
        check_usage(certificate)?;
        Ok(DocumentSigner { key, chain })
    }

    /// The signing key.
    pub fn key(&self) -> &SchoolKey {
        &self.key
    }

    /// The school's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.chain[0]
    }

    /// The school's certificate, then those above it.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The certificate's common name (its subject when it has none).
    pub fn common_name(&self) -> String {
        common_name(&self.chain[0].tbs_certificate.subject)
    }
}

/// The common name of a distinguished name, or the whole name written out.
pub fn common_name(name: &Name) -> String {
    const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    for rdn in name.0.iter() {
        for attribute in rdn.0.iter() {
            if attribute.oid == CN
                && let Ok(text) = attribute.value.decode_as::<der::asn1::Utf8StringRef>()
            {
                return text.as_str().to_string();
            }
            if attribute.oid == CN
                && let Ok(text) = attribute.value.decode_as::<der::asn1::PrintableStringRef>()
            {
                return text.as_str().to_string();
            }
        }
    }
    name.to_string()
}

/// Every certificate of a PEM file, in its order.
pub fn read_chain(pem: &[u8]) -> Result<Vec<Certificate>, CertificateProblem> {
    let chain = Certificate::load_pem_chain(pem).map_err(|e| CertificateProblem::Chain(e.to_string()))?;
    if chain.is_empty() {
        return Err(CertificateProblem::Chain("no BEGIN CERTIFICATE block".into()));
    }
    Ok(chain)
}

/// The first and last day of a certificate, as dates.
pub fn validity_dates(certificate: &Certificate) -> (NaiveDate, NaiveDate) {
    let day = |time: &x509_cert::time::Time| {
        let seconds = time.to_unix_duration().as_secs() as i64;
        chrono::DateTime::from_timestamp(seconds, 0).map_or(NaiveDate::MIN, |t| t.date_naive())
    };
    let validity = &certificate.tbs_certificate.validity;
    (day(&validity.not_before), day(&validity.not_after))
}

fn check_validity(certificate: &Certificate, on: NaiveDate) -> Result<(), CertificateProblem> {
    let validity = &certificate.tbs_certificate.validity;
    let at = |time: &x509_cert::time::Time| time.to_unix_duration().as_secs() as i64;
    let noon = on.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()).and_utc().timestamp();
    let start = on.and_time(NaiveTime::MIN).and_utc().timestamp();
    // Valid at some time of the issue day, and still at its start (the signing time).
    if at(&validity.not_before) > noon || at(&validity.not_after) < start {
        let (from, to) = validity_dates(certificate);
        // A certificate made on the issue day itself, after midday: say when.
        let from = match chrono::DateTime::from_timestamp(at(&validity.not_before), 0) {
            Some(time) if from == on => {
                format!("{} UTC (after midday of the issue day)", time.format("%Y-%m-%d %H:%M"))
            }
            _ => from.to_string(),
        };
        return Err(CertificateProblem::Expired { from, to: to.to_string(), on });
    }
    Ok(())
}

fn check_usage(certificate: &Certificate) -> Result<(), CertificateProblem> {
    let extensions = certificate.tbs_certificate.extensions.as_deref().unwrap_or_default();
    let find = |oid: ObjectIdentifier| extensions.iter().find(|e| e.extn_id == oid);
    let key_usage = find(const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .ok_or_else(|| CertificateProblem::Usage("it has no key usage".into()))?;
    let usage = KeyUsage::from_der(key_usage.extn_value.as_bytes())
        .map_err(|e| CertificateProblem::Usage(format!("its key usage cannot be read ({e})")))?;
    if !usage.digital_signature() && !usage.non_repudiation() {
        return Err(CertificateProblem::Usage(
            "its key usage allows neither digital signatures nor non-repudiation".into(),
        ));
    }
    if let Some(extended) = find(const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE) {
        let extended = ExtendedKeyUsage::from_der(extended.extn_value.as_bytes())
            .map_err(|e| CertificateProblem::Usage(format!("its extended key usage cannot be read ({e})")))?;
        let allowed = extended.0.iter().any(|oid| DOCUMENT_SIGNING.iter().any(|(o, _)| oid.to_string() == *o));
        if !allowed {
            let names: Vec<&str> = DOCUMENT_SIGNING.iter().map(|(_, n)| *n).collect();
            return Err(CertificateProblem::Usage(format!(
                "its extended key usage names none of {}",
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// A new ECDSA P-256 key, as unencrypted PKCS #8 PEM.
pub fn new_key() -> Result<(SigningKey, String), String> {
    let key = loop {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| e.to_string())?;
        // Almost every 32 bytes are a scalar of the curve; the rest are drawn again.
        if let Ok(key) = SigningKey::from_slice(&secret) {
            break key;
        }
    };
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?;
    Ok((key, pem.to_string()))
}

fn subject(text: &str) -> Result<Name, String> {
    Name::from_str(text).map_err(|e| {
        format!(
            "\"{text}\" is not a distinguished name such as \"CN=Harbor View Academy,O=Harbor View Academy,C=US\" ({e})"
        )
    })
}

fn public_key(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, String> {
    let der = key.verifying_key().to_public_key_der().map_err(|e| e.to_string())?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| e.to_string())
}

/// A self-signed document-signing certificate for `key`, valid for `days` from the start of
/// `from` (UTC), as PEM.
pub fn self_signed(key: &SigningKey, subject_text: &str, from: NaiveDate, days: u32) -> Result<String, String> {
    let name = subject(subject_text)?;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| e.to_string())?;
    serial[0] = serial[0] & 0x7F | 0x01;
    let serial = SerialNumber::new(&serial).map_err(|e| e.to_string())?;
    let start = u64::try_from(from.and_time(NaiveTime::MIN).and_utc().timestamp()).map_err(|e| e.to_string())?;
    let start = std::time::UNIX_EPOCH + Duration::from_secs(start);
    let end = start + Duration::from_secs(u64::from(days) * 86_400);
    let time = |at| x509_cert::time::Time::try_from(at).map_err(|e: der::Error| e.to_string());
    let validity = Validity { not_before: time(start)?, not_after: time(end)? };
    // An end-entity certificate (not a CA) whose issuer is itself: the leaf profile gives its
    // key usage, digital signatures and non-repudiation.
    let profile = Profile::Leaf { issuer: name.clone(), enable_key_agreement: false, enable_key_encipherment: false };
    let mut builder =
        CertificateBuilder::new(profile, serial, validity, name, public_key(key)?, key).map_err(|e| e.to_string())?;
    builder.add_extension(&ExtendedKeyUsage(vec![ID_KP_DOCUMENT_SIGNING])).map_err(|e| e.to_string())?;
    let certificate = builder.build::<DerSignature>().map_err(|e| e.to_string())?;
    certificate.to_pem(LineEnding::LF).map_err(|e| e.to_string())
}

/// A certificate signing request for `key`, for the district's or a commercial CA, as PEM.
pub fn signing_request(key: &SigningKey, subject_text: &str) -> Result<String, String> {
    let builder = RequestBuilder::new(subject(subject_text)?, key).map_err(|e| e.to_string())?;
    let request = builder.build::<DerSignature>().map_err(|e| e.to_string())?;
    request.to_pem(LineEnding::LF).map_err(|e| e.to_string())
}

/// `sha256WithRSAEncryption`, `sha384WithRSAEncryption`, `sha512WithRSAEncryption` (RFC 4055).
pub(crate) const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// Whether `certificate` was signed by `issuer`'s key: ECDSA P-256 with SHA-256 (what
/// `keygen --x509` makes), or RSA PKCS #1 v1.5 with SHA-256, -384 or -512 (what most CAs, a
/// district's or a commercial one, sign with). Another algorithm is not recognised: false.
pub fn signed_by(certificate: &Certificate, issuer: &Certificate) -> bool {
    if certificate.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let Ok(spki) = issuer.tbs_certificate.subject_public_key_info.to_der() else { return false };
    let Ok(tbs) = certificate.tbs_certificate.to_der() else { return false };
    let Some(bytes) = certificate.signature.as_bytes() else { return false };
    holds(&spki, &tbs, bytes, certificate.signature_algorithm.oid) == Ok(true)
}

/// Why a signature could not be checked at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unchecked {
    /// The key is neither ECDSA P-256 nor RSA.
    Key,
    /// The signature value cannot be read for the key's algorithm.
    Value(String),
}

/// Whether `signature` over `message` holds for the public key `spki` (DER): ECDSA P-256 with
/// SHA-256, or RSA PKCS #1 v1.5 with the hash `rsa_algorithm` names (`sha256WithRSAEncryption`
/// and its SHA-384 and SHA-512 kin; another is false).
pub(crate) fn holds(
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
    rsa_algorithm: ObjectIdentifier,
) -> Result<bool, Unchecked> {
    use p256::ecdsa::signature::Verifier;
    if let Ok(key) = <VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_der(spki) {
        let signature = p256::ecdsa::Signature::from_der(signature).map_err(|e| Unchecked::Value(e.to_string()))?;
        return Ok(key.verify(message, &signature).is_ok());
    }
    let key =
        <rsa::RsaPublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(spki).map_err(|_| Unchecked::Key)?;
    let signature = rsa::pkcs1v15::Signature::try_from(signature).map_err(|e| Unchecked::Value(e.to_string()))?;
    Ok(match rsa_algorithm {
        RSA_SHA256 => rsa::pkcs1v15::VerifyingKey::<sha2_oid::Sha256>::new(key).verify(message, &signature).is_ok(),
        RSA_SHA384 => rsa::pkcs1v15::VerifyingKey::<sha2_oid::Sha384>::new(key).verify(message, &signature).is_ok(),
        RSA_SHA512 => rsa::pkcs1v15::VerifyingKey::<sha2_oid::Sha512>::new(key).verify(message, &signature).is_ok(),
        _ => false,
    })
}
