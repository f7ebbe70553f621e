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
use der::{Any, Decode, Encode};
use sha2::{Digest, Sha256};
use x509_cert::spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

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
}
