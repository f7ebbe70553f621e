//! Checks the PAdES signature of a PDF, as `mastery verify` reports it: the byte range covers
//! the whole file but the signature itself (so nothing was added or changed after signing),
//! the digest of those bytes is the one signed, the signature is the certificate's, and the
//! certificate leads, signature by signature, to a trust anchor the reader gave.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, Encode};
use lopdf::{Document, Object};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::certificate::{RSA_SHA256, Unchecked, common_name, holds, signed_by};

/// `id-messageDigest` (RFC 5652).
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// What the PAdES signature of a PDF says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The signer's common name.
    pub signer: String,
    /// The signing time as the PDF writes it (`D:20260612000000Z`).
    pub time: String,
    /// Whether it is a certification signature that permits no change (DocMDP P 1).
    pub certifies: bool,
    /// The trust anchor the signer's certificate leads to, if any was given and it does.
    pub anchor: Option<String>,
    /// The RFC 3161 timestamp on the signature (PAdES B-T), checked, if it has one.
    pub timestamp: Option<Stamp>,
}

/// A timestamp authority's countersignature on a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The authority's common name.
    pub authority: String,
    /// Its time (`2026-06-01T14:03:22Z`).
    pub time: String,
}

/// Checks the PDF `bytes`: `Ok(None)` when it carries no signature, `Err` with the reason when
/// its signature does not hold. `trust` are the reader's trust anchors.
pub fn verify(bytes: &[u8], trust: &[Certificate]) -> Result<Option<Checked>, String> {
    let document = Document::load_mem(bytes).map_err(|e| format!("not a PDF that can be read ({e})"))?;
    let catalog = document.catalog().map_err(|e| format!("the PDF has no catalog ({e})"))?;
    let fields = catalog
        .get(b"AcroForm")
        .and_then(|form| deref(&document, form))
        .and_then(Object::as_dict)
        .and_then(|form| form.get(b"Fields"))
        .and_then(|fields| deref(&document, fields))
        .and_then(Object::as_array);
    let Ok(fields) = fields else { return Ok(None) };
    let mut signatures = Vec::new();
    for field in fields {
        let Ok(field) = deref(&document, field).and_then(Object::as_dict) else { continue };
        if field.get(b"FT").and_then(Object::as_name).ok() != Some(b"Sig".as_slice()) {
            continue;
        }
        if let Ok(value) = field.get(b"V") {
            signatures.push((value.as_reference().ok(), deref(&document, value).and_then(Object::as_dict).ok()));
        }
    }
    let [(reference, Some(signature))] = signatures.as_slice() else {
        return match signatures.len() {
            0 => Ok(None),
            n => Err(format!("the PDF has {n} signatures; an issued transcript has one")),
        };
    };

    // The byte range: all of the file but the signature's hex string.
    let range: Vec<i64> = signature
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map_err(|_| "the signature has no byte range".to_string())?
        .iter()
        .map(|n| n.as_i64().unwrap_or(-1))
        .collect();
    let [0, first, gap_end, last] = range.as_slice() else {
        return Err(format!("the signature's byte range {range:?} does not start at the file's first byte"));
    };
    let (first, gap_end, last) = (*first as usize, *gap_end as usize, *last as usize);
    if first >= gap_end || gap_end.checked_add(last) != Some(bytes.len()) {
        return Err(format!(
            "the signature covers bytes up to {}, but the file has {}: something was added or changed after it was signed",
            gap_end.saturating_add(last),
            bytes.len()
        ));
    }
    if bytes.get(first) != Some(&b'<') || bytes.get(gap_end - 1) != Some(&b'>') {
        return Err("the signature's byte range leaves out more than its own contents".to_string());
    }
    let digits: Vec<u8> = bytes[first + 1..gap_end - 1].iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    let contents = super::from_hex(&digits).ok_or("the signature's contents are not hexadecimal")?;
    let mut digest = Sha256::new();
    digest.update(&bytes[..first]);
    digest.update(&bytes[gap_end..]);
    let digest = digest.finalize();

    // The CMS signature: its digest, its signature, its certificate.
    let info = ContentInfo::from_der(trim_der(&contents)?).map_err(|e| format!("the signature is not CMS ({e})"))?;
    let signed: SignedData =
        info.content.decode_as().map_err(|e| format!("the signature is not CMS SignedData ({e})"))?;
    let it = Signed {
        what: "the signature",
        changed: "the file's digest is not the one signed: its bytes were changed after signing",
    };
    let (signer, certificate, certificates) = check_signer(&signed, &digest, &it)?;
    let timestamp = match timestamp(signer) {
        Ok(stamp) => stamp,
        Err(why) => return Err(format!("the signature's timestamp: {why}")),
    };

    let certifies = document
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Perms").ok())
        .and_then(|p| deref(&document, p).and_then(Object::as_dict).ok())
        .and_then(|p| p.get(b"DocMDP").and_then(Object::as_reference).ok())
        .is_some_and(|mdp| Some(mdp) == *reference)
        && docmdp_permission(&document, signature) == Some(1);
    let time = signature.get(b"M").and_then(Object::as_str).map(|m| String::from_utf8_lossy(m).into_owned());
    Ok(Some(Checked {
        signer: common_name(&certificate.tbs_certificate.subject),
        time: time.unwrap_or_default(),
        certifies,
        anchor: anchor(&certificate, &certificates, trust),
        timestamp,
    }))
}

/// What a SignedData is, for the messages about it.
struct Signed<'a> {
    /// "the signature", "the token".
    what: &'a str,
    /// What it means that its signed digest is not the content's.
    changed: &'a str,
}

/// Checks the one signer of a SignedData over content whose digest is `digest`: the digest it
/// signs, and its signature with its certificate's key (ECDSA P-256, or RSA PKCS #1 v1.5, each
/// with SHA-256). Gives the signer, its certificate and every certificate carried.
fn check_signer<'a>(
    signed: &'a SignedData,
    digest: &[u8],
    it: &Signed,
) -> Result<(&'a cms::signed_data::SignerInfo, Certificate, Vec<Certificate>), String> {
    let what = it.what;
    let [signer] = signed.signer_infos.0.as_slice() else {
        return Err(format!("{what} has no single signer"));
    };
    let attributes = signer.signed_attrs.as_ref().ok_or_else(|| format!("{what} signs no attributes"))?;
    let signed_digest = attributes
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.get(0))
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| format!("{what} names no digest"))?;
    if signed_digest.as_bytes() != digest {
        return Err(it.changed.to_string());
    }
    let certificates: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return Err(format!("{what} names its certificate by key id, which is not read"));
    };
    let certificate = certificates
        .iter()
        .find(|c| c.tbs_certificate.issuer == id.issuer && c.tbs_certificate.serial_number == id.serial_number)
        .ok_or_else(|| format!("the signer's certificate is not in {what}"))?
        .clone();
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    let attributes_der = SetOfVec::try_from(attributes.iter().cloned().collect::<Vec<_>>())
        .and_then(|set| set.to_der())
        .map_err(|e| e.to_string())?;
    match holds(&spki, &attributes_der, signer.signature.as_bytes(), RSA_SHA256) {
        Ok(true) => Ok((signer, certificate, certificates)),
        Ok(false) => Err(format!("{what} does not verify with the signer's certificate")),
        Err(Unchecked::Value(why)) => Err(format!("{what}'s value cannot be read ({why})")),
        Err(Unchecked::Key) => {
            Err("the signer's key is neither ECDSA P-256 nor RSA, which is all this check reads".to_string())
        }
    }
}

/// The RFC 3161 timestamp on a signature, when it has one: its token over the signature value,
/// signed by the authority. Gives the authority's name and its time.
fn timestamp(signer: &cms::signed_data::SignerInfo) -> Result<Option<Stamp>, String> {
    let Some(token) = signer
        .unsigned_attrs
        .iter()
        .flat_map(|attributes| attributes.iter())
        .find(|a| a.oid == super::timestamp::ID_SIGNATURE_TIME_STAMP_TOKEN)
        .and_then(|a| a.values.get(0))
    else {
        return Ok(None);
    };
    let token: ContentInfo = token.decode_as().map_err(|e| format!("it is not a token ({e})"))?;
    let (signed, info, der) = super::timestamp::signed_tst_info(&token)?;
    if info.message_imprint.hashed_message.as_bytes() != Sha256::digest(signer.signature.as_bytes()).as_slice() {
        return Err("its token is over another signature value".to_string());
    }
    let it = Signed { what: "the token", changed: "the token's TSTInfo is not the one its authority signed" };
    let (_, certificate, _) = check_signer(&signed, &Sha256::digest(&der), &it)?;
    Ok(Some(Stamp { authority: common_name(&certificate.tbs_certificate.subject), time: info.time()? }))
}

/// The DocMDP permission a signature's reference states.
fn docmdp_permission(document: &Document, signature: &lopdf::Dictionary) -> Option<i64> {
    let references = signature.get(b"Reference").and_then(Object::as_array).ok()?;
    references.iter().find_map(|reference| {
        let reference = deref(document, reference).and_then(Object::as_dict).ok()?;
        if reference.get(b"TransformMethod").and_then(Object::as_name).ok()? != b"DocMDP" {
            return None;
        }
        reference.get(b"TransformParams").and_then(Object::as_dict).ok()?.get(b"P").and_then(Object::as_i64).ok()
    })
}

/// The trust anchor `certificate` leads to through `intermediates`, by common name.
fn anchor(certificate: &Certificate, intermediates: &[Certificate], trust: &[Certificate]) -> Option<String> {
    let mut current = certificate.clone();
    for _ in 0..8 {
        if let Some(anchor) = trust.iter().find(|a| **a == current || signed_by(&current, a)) {
            return Some(common_name(&anchor.tbs_certificate.subject));
        }
        let next = intermediates.iter().find(|c| **c != current && signed_by(&current, c))?;
        current = next.clone();
    }
    None
}

/// The DER of a CMS structure padded with zeros to the size of the room kept for it.
fn trim_der(bytes: &[u8]) -> Result<&[u8], String> {
    use der::Reader;
    let not_der = |e: der::Error| format!("the signature is not DER ({e})");
    let mut reader = der::SliceReader::new(bytes).map_err(not_der)?;
    let header = der::Header::decode(&mut reader).map_err(not_der)?;
    let total = (reader.position() + header.length).map_err(not_der)?;
    let total = usize::try_from(total).map_err(|e| e.to_string())?;
    bytes.get(..total).ok_or_else(|| "the signature is cut short".to_string())
}

fn deref<'a>(document: &'a Document, object: &'a Object) -> lopdf::Result<&'a Object> {
    match object {
        Object::Reference(id) => document.get_object(*id),
        other => Ok(other),
    }
}
