//! RFC 3161 timestamps on a PDF's signature: PAdES baseline B-T.
//!
//! A signature says when it was made only by the signer's word (`/M`); a timestamp authority
//! (TSA) countersigns the signature value with its own clock, so the time holds even after the
//! school's certificate expires. The request carries the SHA-256 of the signature value and a
//! fresh nonce; the token that comes back (a CMS SignedData over a `TSTInfo`) is checked
//! against both and put into the signer's unsigned attributes as
//! `id-aa-signatureTimeStampToken` (RFC 3161 appendix A, ETSI EN 319 142-1). A TSA that does
//! not answer, or answers with something else, fails the signature: it is never left out.

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Int, OctetString};
use der::oid::ObjectIdentifier;
use der::{Any, Decode, Encode, Tagged};
use sha2::{Digest, Sha256};
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{Accuracy, MessageImprint, TimeStampReq, TimeStampResp, TsaPolicyId, TspVersion};

/// `id-aa-signatureTimeStampToken`: the unsigned attribute a B-T signature's token goes in.
pub const ID_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// `id-ct-TSTInfo`: the content type of a token.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// The largest answer read from a TSA: a token with its certificate chain is a few KB.
#[cfg(feature = "pull")]
const MAX_ANSWER: u64 = 256 * 1024;

/// A timestamp authority, by its address (`--tsa URL`).
#[derive(Debug, Clone)]
pub struct Timestamper {
    url: String,
}

impl Timestamper {
    /// A TSA at `url` (http or https, as TSAs publish them).
    pub fn new(url: &str) -> Result<Timestamper, String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("--tsa {url}: a timestamp authority's address starts with https:// or http://"));
        }
        Ok(Timestamper { url: url.to_string() })
    }

    /// The TSA's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A token from the TSA over a signature value, checked to be the answer to this request.
    pub fn stamp(&self, signature_value: &[u8]) -> Result<Vec<u8>, String> {
        let imprint: [u8; 32] = Sha256::digest(signature_value).into();
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce for the timestamp request ({e})"))?;
        // A positive INTEGER: the first bit clear.
        nonce[0] &= 0x7f;
        nonce[0] |= 0x01;
        let request = request(&imprint, &nonce).map_err(|e| format!("the timestamp request cannot be made ({e})"))?;
        let answer = post(&self.url, &request)?;
        token(&answer, &imprint, &nonce).map_err(|why| format!("the timestamp authority at {}: {why}", self.url))
    }
}

/// A `TimeStampReq` over a SHA-256 imprint, asking for the TSA's certificate.
fn request(imprint: &[u8; 32], nonce: &[u8]) -> der::Result<Vec<u8>> {
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier { oid: ID_SHA256, parameters: None::<Any> },
            hashed_message: OctetString::new(imprint.to_vec())?,
        },
        req_policy: None,
        nonce: Some(Int::new(nonce)?),
        cert_req: true,
        extensions: None,
    }
    .to_der()
}

/// The token of a TSA's answer, once it is granted, over our imprint, with our nonce.
fn token(answer: &[u8], imprint: &[u8; 32], nonce: &[u8]) -> Result<Vec<u8>, String> {
    let response = TimeStampResp::from_der(answer).map_err(|e| format!("its answer is not a TimeStampResp ({e})"))?;
    let status = response.status.status as u8;
    // 0 granted, 1 granted with modifications; anything else is a refusal.
    if status > 1 {
        let text = response
            .status
            .status_string
            .as_ref()
            .and_then(|texts| texts.first())
            .map(|t| format!(": {}", t.as_str()))
            .unwrap_or_default();
        return Err(format!("it refused the request (status {status}{text})"));
    }
    let token = response.time_stamp_token.ok_or("it granted the request but sent no token")?;
    let info = tst_info(&token)?;
    if info.message_imprint.hashed_message.as_bytes() != imprint {
        return Err("its token is over another signature than ours".to_string());
    }
    if info.nonce.as_ref().map(Int::as_bytes) != Some(trim_zeros(nonce)) {
        return Err("its token does not carry our request's nonce (a replayed answer?)".to_string());
    }
    token.to_der().map_err(|e| e.to_string())
}

/// A nonce as DER writes it: without leading zero bytes.
fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

/// RFC 3161's `TSTInfo`, with its time kept as written: `x509-tsp`'s reads `genTime` through
/// DER's GeneralizedTime, which refuses the fractions of a second many authorities write.
#[derive(Clone, Debug, Eq, PartialEq, der::Sequence)]
pub struct TstInfo {
    /// Always 1.
    pub version: TspVersion,
    /// The authority's policy.
    pub policy: TsaPolicyId,
    /// The hash of what was stamped: the signature value.
    pub message_imprint: MessageImprint,
    /// The token's serial number.
    pub serial_number: Int,
    /// The time, a GeneralizedTime (`YYYYMMDDHHMMSS[.f...]Z`).
    pub gen_time: Any,
    /// How accurate the time is.
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    /// Whether tokens of this authority are ordered by time.
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    /// The request's nonce.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// The authority's name.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    /// Extensions.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

impl TstInfo {
    /// The time as RFC 3339 (`2026-12-07T21:19:47Z`, `2026-12-07T21:19:47.123Z`), or why it is
    /// not a GeneralizedTime in UTC.
    pub fn time(&self) -> Result<String, String> {
        let text = std::str::from_utf8(self.gen_time.value()).map_err(|_| "its time is not text".to_string())?;
        let digits = text.get(..14).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
        let (Some(digits), Some(rest)) = (digits, text.get(14..)) else {
            return Err(format!("its time {text:?} is not of the form YYYYMMDDHHMMSS"));
        };
        let fraction = rest.strip_suffix('Z').filter(|f| {
            f.is_empty() || (f.len() > 1 && f.starts_with('.') && f[1..].bytes().all(|b| b.is_ascii_digit()))
        });
        let (Some(fraction), der::Tag::GeneralizedTime) = (fraction, self.gen_time.tag()) else {
            return Err(format!("its time {text:?} is not a GeneralizedTime in UTC"));
        };
        let d = |range: std::ops::Range<usize>| &digits[range];
        Ok(format!("{}-{}-{}T{}:{}:{}{fraction}Z", d(0..4), d(4..6), d(6..8), d(8..10), d(10..12), d(12..14)))
    }
}

/// The `TSTInfo` a token signs, with the SignedData around it.
pub fn tst_info(token: &ContentInfo) -> Result<TstInfo, String> {
    Ok(signed_tst_info(token)?.1)
}

/// A token's SignedData, its `TSTInfo`, and the DER of the `TSTInfo` (what its signer's
/// message digest is over).
pub fn signed_tst_info(token: &ContentInfo) -> Result<(SignedData, TstInfo, Vec<u8>), String> {
    let signed: SignedData = token.content.decode_as().map_err(|e| format!("its token is not SignedData ({e})"))?;
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err("its token does not hold a TSTInfo".to_string());
    }
    let content = signed.encap_content_info.econtent.as_ref().ok_or("its token is empty")?;
    let bytes = content.decode_as::<OctetString>().map_err(|e| format!("its token's content cannot be read ({e})"))?;
    let der = bytes.as_bytes().to_vec();
    let info = TstInfo::from_der(&der).map_err(|e| format!("its TSTInfo cannot be read ({e})"))?;
    Ok((signed, info, der))
}

/// Sends a request to a TSA and reads its answer.
#[cfg(feature = "pull")]
fn post(url: &str, request: &[u8]) -> Result<Vec<u8>, String> {
    use std::time::Duration;
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .timeout_connect(Some(Duration::from_secs(15)))
        .user_agent(concat!("mastery/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent();
    let unreachable = |e: ureq::Error| format!("the timestamp authority at {url} did not answer ({e})");
    let mut response =
        agent.post(url).header("Content-Type", "application/timestamp-query").send(request).map_err(unreachable)?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("the timestamp authority at {url} answered HTTP {status}"));
    }
    response.body_mut().with_config().limit(MAX_ANSWER).read_to_vec().map_err(unreachable)
}

/// Without the network client (`--no-default-features`), no TSA can be asked.
#[cfg(not(feature = "pull"))]
fn post(url: &str, _request: &[u8]) -> Result<Vec<u8>, String> {
    Err(format!("--tsa {url}: this mastery was built without the network client (the default \"pull\" feature)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carries_the_imprint_and_nonce_and_asks_for_the_certificate() {
        let imprint = [7u8; 32];
        let bytes = request(&imprint, &[0x01, 0x02]).unwrap();
        let parsed = TimeStampReq::from_der(&bytes).unwrap();
        assert_eq!(parsed.message_imprint.hashed_message.as_bytes(), imprint);
        assert_eq!(parsed.nonce.unwrap().as_bytes(), [0x01, 0x02]);
        assert!(parsed.cert_req);
        assert!(token(b"not DER", &imprint, &[1]).unwrap_err().contains("not a TimeStampResp"));
        assert!(Timestamper::new("ftp://tsa").is_err());
    }

    #[test]
    fn a_time_with_fractions_of_a_second_is_read_as_authorities_write_it() {
        let info = |time: &str| TstInfo {
            version: TspVersion::V1,
            policy: ObjectIdentifier::new_unwrap("1.2.3.4.1"),
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifier { oid: ID_SHA256, parameters: None },
                hashed_message: OctetString::new([7u8; 32].to_vec()).unwrap(),
            },
            serial_number: Int::new(&[1]).unwrap(),
            gen_time: Any::new(der::Tag::GeneralizedTime, time.as_bytes()).unwrap(),
            accuracy: None,
            ordering: false,
            nonce: Some(Int::new(&[5]).unwrap()),
            tsa: None,
            extensions: None,
        };
        for (written, read) in
            [("20261207211947Z", "2026-12-07T21:19:47Z"), ("20261207211947.123Z", "2026-12-07T21:19:47.123Z")]
        {
            let der = info(written).to_der().unwrap();
            assert_eq!(TstInfo::from_der(&der).unwrap().time().unwrap(), read);
        }
        assert!(info("20261207211947+0100").time().is_err());
        assert!(info("2026120721").time().is_err());
    }
}
