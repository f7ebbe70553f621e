//! PAdES signatures on the PDFs `mastery` issues, so that Acrobat, poppler's `pdfsig` and
//! pyHanko see a signed document where a college looks: a baseline B-B **certification
//! signature** (DocMDP, no changes permitted) made with the school's document-signing X.509
//! certificate and its key (ECDSA P-256, or RSA), appended to the PDF as an incremental update.
//!
//! The update adds three objects and changes none of the PDF's own: the signature dictionary
//! (ETSI.CAdES.detached, its byte range, a CMS SignedData), a signature field that is not on
//! any page (so no annotation meets PDF/A's or PDF/UA's rules for them), and a new revision of
//! the catalog naming the field in `/AcroForm` and the signature in `/Perms /DocMDP`. The
//! pages, the XMP metadata, the PDF/A-3b identification, the structure tree and the attached
//! files stay byte for byte where they were. ECDSA with deterministic nonces (RFC 6979) or
//! RSA PKCS #1 v1.5, and the signing time taken from the issue date, make the same input give
//! the same bytes; a timestamp ([`timestamp`], B-T) carries the authority's own time.
//!
//! [`certificate`] reads and checks the school's certificate chain and key, and makes a key,
//! a self-signed certificate or a signing request for `mastery keygen --x509`; [`verify`]
//! checks a signed PDF for `mastery verify`.

pub mod certificate;
pub mod timestamp;
pub mod verify;

use chrono::NaiveDate;
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfos};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode};
use lopdf::{Dictionary, IncrementalDocument, Object, StringFormat};
use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::{Keypair, Signer};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::spki::{DynSignatureAlgorithmIdentifier, SignatureBitStringEncoding};

pub use self::certificate::{DocumentSigner, SchoolKey};
pub use self::timestamp::Timestamper;

/// The bytes reserved for the CMS signature in `/Contents` (each written as two hex digits):
/// the certificate chain, the signature and room for a timestamp token.
pub const CONTENTS_BYTES: usize = 24 * 1024;

/// `id-data` (RFC 5652): what the detached signature signs is data.
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-sha256`.
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-aa-signingCertificateV2` (RFC 5035), which CAdES and so PAdES B-B require.
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// A byte range placeholder wide enough for any offset, replaced once the file is laid out.
const RANGE_PLACEHOLDER: i64 = 9_999_999_999;

/// Why a PDF could not be signed.
#[derive(Debug)]
pub enum SignError {
    /// The PDF cannot be read as one.
    Pdf(String),
    /// The signature does not fit the room kept for it.
    TooLarge {
        /// Its size.
        needed: usize,
    },
    /// The CMS structure could not be made.
    Cms(String),
    /// The timestamp authority did not give a token.
    Timestamp(String),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Pdf(why) => write!(f, "the PDF cannot be read to sign it ({why})"),
            SignError::TooLarge { needed } => {
                write!(f, "the signature needs {needed} bytes, more than the {CONTENTS_BYTES} kept for it")
            }
            SignError::Cms(why) => write!(f, "the signature cannot be made ({why})"),
            SignError::Timestamp(why) => write!(f, "the signature cannot be timestamped: {why}"),
        }
    }
}

impl std::error::Error for SignError {}

/// What the signature says besides the signer: the time it claims (the issue date, at
/// midnight UTC, so a reprint is the same bytes) and the reason shown in a reader.
pub struct Claims<'a> {
    /// The signing time, `/M`.
    pub date: NaiveDate,
    /// The reason, `/Reason` ("Official transcript issued by Harbor View Academy").
    pub reason: &'a str,
    /// The timestamp authority that countersigns the signature (baseline B-T), if any. Its
    /// token carries the TSA's time and a nonce: a timestamped PDF is not made twice alike.
    pub timestamp: Option<&'a Timestamper>,
}

/// Signs `pdf` with a PAdES B-B certification signature, as an incremental update.
pub fn sign(pdf: &[u8], signer: &DocumentSigner, claims: &Claims) -> Result<Vec<u8>, SignError> {
    let mut update = IncrementalDocument::load_from(pdf).map_err(|e| SignError::Pdf(e.to_string()))?;
    let root = update
        .get_prev_documents()
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| SignError::Pdf(format!("no catalog: {e}")))?;

    let signature_id = update.new_document.new_object_id();
    let field_id = update.new_document.new_object_id();
    let placeholder = Object::Integer(RANGE_PLACEHOLDER);
    let mut transform = Dictionary::new();
    transform.set("Type", Object::Name(b"TransformParams".to_vec()));
    transform.set("P", Object::Integer(1));
    transform.set("V", Object::Name(b"1.2".to_vec()));
    let mut reference = Dictionary::new();
    reference.set("Type", Object::Name(b"SigRef".to_vec()));
    reference.set("TransformMethod", Object::Name(b"DocMDP".to_vec()));
    reference.set("TransformParams", Object::Dictionary(transform));
    let mut signature = Dictionary::new();
    signature.set("Type", Object::Name(b"Sig".to_vec()));
    signature.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    signature.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    signature.set(
        "ByteRange",
        Object::Array(vec![Object::Integer(0), placeholder.clone(), placeholder.clone(), placeholder]),
    );
    signature.set("Contents", Object::String(vec![0; CONTENTS_BYTES], StringFormat::Hexadecimal));
    signature.set("M", Object::string_literal(format!("D:{}000000Z", claims.date.format("%Y%m%d"))));
    signature.set("Name", Object::string_literal(text_string(&signer.common_name())));
    signature.set("Reason", Object::String(text_string(claims.reason), StringFormat::Literal));
    signature.set("Reference", Object::Array(vec![Object::Dictionary(reference)]));
    update.new_document.set_object(signature_id, Object::Dictionary(signature));

    // The field is its own widget, of no size and on no page: readers find the signature
    // through the form, and no page gains an annotation.
    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("Rect", Object::Array(vec![Object::Integer(0); 4]));
    field.set("F", Object::Integer(132));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", Object::string_literal("School signature"));
    field.set("V", Object::Reference(signature_id));
    update.new_document.set_object(field_id, Object::Dictionary(field));

    update.opt_clone_object_to_new_document(root).map_err(|e| SignError::Pdf(e.to_string()))?;
    let catalog = update
        .new_document
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(|e| SignError::Pdf(format!("the catalog is not a dictionary: {e}")))?;
    let mut form = Dictionary::new();
    form.set("Fields", Object::Array(vec![Object::Reference(field_id)]));
    form.set("SigFlags", Object::Integer(3));
    catalog.set("AcroForm", Object::Dictionary(form));
    let mut perms = Dictionary::new();
    perms.set("DocMDP", Object::Reference(signature_id));
    catalog.set("Perms", Object::Dictionary(perms));

    let mut out = Vec::with_capacity(pdf.len() + 2 * CONTENTS_BYTES + 4096);
    update.save_to(&mut out).map_err(|e| SignError::Pdf(e.to_string()))?;

    // Where the placeholders landed: the hex string (brackets included) is left out of the
    // digest, everything else is in it.
    let start = find(&out, pdf.len(), b"/Contents<")
        .map(|at| at + b"/Contents".len())
        .or_else(|| find(&out, pdf.len(), b"/Contents <").map(|at| at + b"/Contents ".len()));
    let start = start.ok_or_else(|| SignError::Pdf("the signature's contents were not written".into()))?;
    let end = start + 2 + 2 * CONTENTS_BYTES;
    if out.get(end - 1) != Some(&b'>') {
        return Err(SignError::Pdf("the signature's contents were written in another form".into()));
    }
    let ranges = format!("[0 {} {} {}", start, end, out.len() - end);
    let placeholder = format!("[0 {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER} {RANGE_PLACEHOLDER}]");
    let at = find(&out, pdf.len(), placeholder.as_bytes())
        .ok_or_else(|| SignError::Pdf("the byte range was not written".into()))?;
    let mut written = ranges.into_bytes();
    written.resize(placeholder.len() - 1, b' ');
    written.push(b']');
    out[at..at + placeholder.len()].copy_from_slice(&written);

    let mut digest = Sha256::new();
    digest.update(&out[..start]);
    digest.update(&out[end..]);
    let digest = digest.finalize();
    let cms = signed_data(signer, &digest, claims.timestamp)?;
    if cms.len() > CONTENTS_BYTES {
        return Err(SignError::TooLarge { needed: cms.len() });
    }
    let hex = hex_upper(&cms);
    out[start + 1..start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// The PDF as it was before [`sign`] appended its signature: the bytes up to the end of the
/// revision the signature's update points back to (its trailer's `/Prev`), for a portal that
/// refuses signed PDFs. The pages, metadata and attachments are those of the signed file;
/// only the signature's update is gone. `Err` says why the file is not one `sign` made: no
/// incremental update after the first revision, or more than one.
pub fn unsigned(pdf: &[u8]) -> Result<&[u8], String> {
    let last = rfind(pdf, b"startxref").ok_or("the PDF has no startxref: it is not a PDF that can be read")?;
    let trailer = rfind(&pdf[..last], b"trailer").ok_or("the signed PDF's last revision has no trailer")?;
    let prev = after_key(&pdf[trailer..last], b"/Prev").ok_or("the PDF has one revision: it is not signed")?;
    let end = find(pdf, prev, b"%%EOF").ok_or("the PDF's first revision has no end (%%EOF)")? + b"%%EOF".len();
    let end = match pdf.get(end..end + 2) {
        Some([b'\r', b'\n']) => end + 2,
        Some([b'\n' | b'\r', _]) | Some([b'\n' | b'\r']) => end + 1,
        _ => end,
    };
    if rfind(&pdf[..last], b"%%EOF").is_some_and(|at| at >= end) {
        return Err(
            "the PDF was updated more than once after its first revision: it is not a transcript as issued".into()
        );
    }
    Ok(&pdf[..end])
}

/// The non-negative integer that follows `key` in `bytes` (a dictionary entry as written).
fn after_key(bytes: &[u8], key: &[u8]) -> Option<usize> {
    let at = find(bytes, 0, key)? + key.len();
    let digits: String = bytes[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| char::from(b))
        .collect();
    digits.parse().ok()
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The CMS SignedData of a detached signature over a document whose digest is `digest`, its
/// signature value timestamped by `timestamp` when one is given.
fn signed_data(signer: &DocumentSigner, digest: &[u8], timestamp: Option<&Timestamper>) -> Result<Vec<u8>, SignError> {
    let cms = |e: &dyn std::fmt::Display| SignError::Cms(e.to_string());
    let certificate = signer.certificate();
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: certificate.tbs_certificate.issuer.clone(),
        serial_number: certificate.tbs_certificate.serial_number.clone(),
    });
    let sha256 = AlgorithmIdentifierOwned { oid: ID_SHA256, parameters: None };
    let content = EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None };
    let attribute = signing_certificate_v2(signer).map_err(|e| cms(&e))?;
    let mut builder = SignedDataBuilder::new(&content);
    builder.add_digest_algorithm(sha256.clone()).map_err(|e| cms(&e))?;
    for certificate in signer.chain() {
        builder.add_certificate(CertificateChoices::Certificate(certificate.clone())).map_err(|e| cms(&e))?;
    }
    match signer.key() {
        SchoolKey::P256(key) => {
            add_signer::<_, DerSignature>(&mut builder, key, sid, sha256, &content, digest, attribute)?
        }
        SchoolKey::Rsa(key) => add_signer::<_, rsa::pkcs1v15::Signature>(
            &mut builder,
            key.as_ref(),
            sid,
            sha256,
            &content,
            digest,
            attribute,
        )?,
    }
    let signed = builder.build().map_err(|e| cms(&e))?;
    match timestamp {
        None => signed.to_der().map_err(|e| cms(&e)),
        Some(timestamper) => timestamped(&signed, timestamper),
    }
}

/// Signs with `key` (ECDSA or RSA) as the one signer of `builder`.
fn add_signer<S, Sig>(
    builder: &mut SignedDataBuilder,
    key: &S,
    sid: SignerIdentifier,
    sha256: AlgorithmIdentifierOwned,
    content: &EncapsulatedContentInfo,
    digest: &[u8],
    attribute: Attribute,
) -> Result<(), SignError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Sig>,
    S::VerifyingKey: EncodePublicKey,
    Sig: SignatureBitStringEncoding,
{
    let cms = |e: &dyn std::fmt::Display| SignError::Cms(e.to_string());
    let mut info = SignerInfoBuilder::new(key, sid, sha256, content, Some(digest)).map_err(|e| cms(&e))?;
    info.add_signed_attribute(attribute).map_err(|e| cms(&e))?;
    builder.add_signer_info::<S, Sig>(info).map_err(|e| cms(&e))?;
    Ok(())
}

/// The signature with the TSA's token over its signature value in the signer's unsigned
/// attributes.
fn timestamped(signed: &ContentInfo, timestamper: &Timestamper) -> Result<Vec<u8>, SignError> {
    let cms = |e: &dyn std::fmt::Display| SignError::Cms(e.to_string());
    let mut data: SignedData = signed.content.decode_as().map_err(|e| cms(&e))?;
    let mut infos = data.signer_infos.0.into_vec();
    let [info] = infos.as_mut_slice() else {
        return Err(SignError::Cms("the signature has no single signer".to_string()));
    };
    let token = timestamper.stamp(info.signature.as_bytes()).map_err(SignError::Timestamp)?;
    let mut values = SetOfVec::new();
    values.insert(AttributeValue::from_der(&token).map_err(|e| cms(&e))?).map_err(|e| cms(&e))?;
    let mut attributes = SetOfVec::new();
    attributes.insert(Attribute { oid: timestamp::ID_SIGNATURE_TIME_STAMP_TOKEN, values }).map_err(|e| cms(&e))?;
    info.unsigned_attrs = Some(attributes);
    data.signer_infos = SignerInfos(SetOfVec::try_from(infos).map_err(|e| cms(&e))?);
    let content = der::Any::encode_from(&data).map_err(|e| cms(&e))?;
    ContentInfo { content_type: signed.content_type, content }.to_der().map_err(|e| cms(&e))
}

/// ESSCertIDv2 (RFC 5035) with the default hash, SHA-256, and no issuer serial.
#[derive(der::Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// SigningCertificateV2 (RFC 5035) without policies.
#[derive(der::Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The `signingCertificateV2` attribute: the SHA-256 of the signer's certificate, which binds
/// the signature to that certificate.
fn signing_certificate_v2(signer: &DocumentSigner) -> der::Result<Attribute> {
    let hash = Sha256::digest(signer.certificate().to_der()?);
    let value = SigningCertificateV2 { certs: vec![EssCertIdV2 { cert_hash: OctetString::new(hash.to_vec())? }] };
    let value = AttributeValue::from_der(&value.to_der()?)?;
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid: ID_SIGNING_CERTIFICATE_V2, values })
}

/// Bytes as uppercase hexadecimal digits.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)] as char, DIGITS[usize::from(b & 15)] as char]).collect()
}

/// Hexadecimal digits (either case) as bytes; `None` for anything else or an odd count.
pub(crate) fn from_hex(digits: &[u8]) -> Option<Vec<u8>> {
    let value = |d: u8| (d as char).to_digit(16).map(|v| v as u8);
    digits
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some(value(*high)? << 4 | value(*low)?),
            _ => None,
        })
        .collect()
}

/// A PDF text string: PDFDocEncoding for ASCII, otherwise UTF-16BE with its byte order mark.
fn text_string(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        text.as_bytes().to_vec()
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        bytes
    }
}

/// The first place of `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|at| at + from)
}
