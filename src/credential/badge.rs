//! Open Badges 3.0: every award as an `OpenBadgeCredential` of its own, the form the DCC's
//! Learner Credential Wallet and most portfolios hold (they do not display CLRs), and baked
//! into a badge image as the specification's "Baking" section defines:
//! - PNG: one `iTXt` chunk with the keyword `openbadgecredential` whose text is the credential;
//! - SVG: an `<openbadges:credential>` element right after the root `<svg>` (namespace
//!   `https://purl.imsglobal.org/ob/v3p0`) holding the credential in CDATA.
//!
//! The image itself shows the achievement, not the student: it is drawn once per credit.

use serde_json::{Value, json};

use super::achievement::{self, Award, CredentialInput, Kind};
use super::proof::ProofError;
use crate::model::CreditLevel;
use crate::transcript::Transcript;

const KEYWORD: &str = "openbadgecredential";
const NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// One signed badge.
pub struct Badge {
    /// The credit's id, or "diploma": the badge's file name.
    pub key: String,
    /// The signed OpenBadgeCredential.
    pub credential: Value,
    /// What the badge image shows, for `templates/badge/badge.typ`.
    pub image: Value,
}

/// The student's badges, signed, in the framework's order (the diploma last). Empty for a
/// student who has earned nothing yet.
pub fn badges(transcript: &Transcript, input: &CredentialInput, locale: &str) -> Result<Vec<Badge>, ProofError> {
    let created = achievement::timestamp(&transcript.issue_date);
    achievement::awards(transcript, input.signer.issuer_id())
        .into_iter()
        .map(|award| {
            let credential =
                input.signer.sign(&achievement::credential(transcript, input, &award, Kind::OpenBadge), &created)?;
            Ok(Badge { image: image_data(transcript, &award, locale), key: award.key, credential })
        })
        .collect()
}

fn image_data(transcript: &Transcript, award: &Award, locale: &str) -> Value {
    json!({
        "title": award.name,
        "code": award.tier.map(|_| award.key.clone()),
        "area": award.area,
        "school": transcript.school.name,
        "kind": if award.tier.is_some() { "credit" } else { "diploma" },
        "tier": award.tier.map(|tier| match tier {
            CreditLevel::Foundational => "foundational",
            CreditLevel::Advanced => "advanced",
        }),
        "locale": locale,
    })
}

/// Why an image cannot be baked or read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BakeError(pub String);

impl std::fmt::Display for BakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BakeError {}

/// The PNG with the credential baked in, as an `iTXt` chunk right after the header.
pub fn bake_png(png: &[u8], credential: &str) -> Result<Vec<u8>, BakeError> {
    let chunks = png_chunks(png)?;
    if chunks.iter().any(|(kind, data)| *kind == b"iTXt" && itxt_keyword(data) == Some(KEYWORD.as_bytes())) {
        return Err(BakeError("the PNG already holds a baked credential".into()));
    }
    let Some((b"IHDR", _)) = chunks.first() else {
        return Err(BakeError("the PNG does not start with its header".into()));
    };
    let header_end = PNG_SIGNATURE.len() + 12 + 13;
    let mut data = Vec::with_capacity(KEYWORD.len() + 5 + credential.len());
    data.extend_from_slice(KEYWORD.as_bytes());
    // Keyword terminator, no compression, method 0, no language tag, no translated keyword.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(credential.as_bytes());
    let mut out = Vec::with_capacity(png.len() + data.len() + 12);
    out.extend_from_slice(&png[..header_end]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(b"iTXt");
    hasher.update(&data);
    out.extend_from_slice(b"iTXt");
    out.extend_from_slice(&data);
    out.extend_from_slice(&hasher.finalize().to_be_bytes());
    out.extend_from_slice(&png[header_end..]);
    Ok(out)
}

/// The credential baked into a PNG.
pub fn unbake_png(png: &[u8]) -> Result<String, BakeError> {
    let found: Vec<&[u8]> = png_chunks(png)?
        .into_iter()
        .filter(|(kind, data)| *kind == b"iTXt" && itxt_keyword(data) == Some(KEYWORD.as_bytes()))
        .map(|(_, data)| data)
        .collect();
    let [data] = found.as_slice() else {
        return Err(BakeError(format!("the PNG holds {} baked credentials; a badge holds one", found.len())));
    };
    let after_keyword = &data[KEYWORD.len() + 1..];
    let [compressed, _method, rest @ ..] = after_keyword else {
        return Err(BakeError("the iTXt chunk is cut short".into()));
    };
    if *compressed != 0 {
        return Err(BakeError("the baked credential is compressed, which Open Badges 3.0 does not use".into()));
    }
    // Skip the language tag and the translated keyword, each ended by a zero byte.
    let mut rest = rest;
    for _ in 0..2 {
        let end = rest.iter().position(|b| *b == 0).ok_or_else(|| BakeError("the iTXt chunk is cut short".into()))?;
        rest = &rest[end + 1..];
    }
    String::from_utf8(rest.to_vec()).map_err(|_| BakeError("the baked credential is not UTF-8 text".into()))
}

fn itxt_keyword(data: &[u8]) -> Option<&[u8]> {
    data.iter().position(|b| *b == 0).map(|end| &data[..end])
}

/// A chunk of a PNG file: its type and its data.
type Chunk<'a> = (&'a [u8], &'a [u8]);

/// The chunks of a PNG file, checking their lengths and checksums.
fn png_chunks(png: &[u8]) -> Result<Vec<Chunk<'_>>, BakeError> {
    let mut rest = png.strip_prefix(PNG_SIGNATURE).ok_or_else(|| BakeError("not a PNG file".into()))?;
    let mut chunks = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 12 {
            return Err(BakeError("the PNG ends in the middle of a chunk".into()));
        }
        let length = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if rest.len() < 12 + length {
            return Err(BakeError("the PNG ends in the middle of a chunk".into()));
        }
        let (kind, data) = (&rest[4..8], &rest[8..8 + length]);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(kind);
        hasher.update(data);
        if hasher.finalize().to_be_bytes() != rest[8 + length..12 + length] {
            return Err(BakeError(format!("the PNG's {} chunk is damaged", String::from_utf8_lossy(kind))));
        }
        chunks.push((kind, data));
        rest = &rest[12 + length..];
    }
    Ok(chunks)
}

/// The SVG with the credential baked in, right after the root element's start tag.
pub fn bake_svg(svg: &str, credential: &str) -> Result<String, BakeError> {
    let start = svg.find("<svg").ok_or_else(|| BakeError("not an SVG file".into()))?;
    let end = start + svg[start..].find('>').ok_or_else(|| BakeError("the SVG's root element is not closed".into()))?;
    let (open, self_closing) = match svg[..end].strip_suffix('/') {
        Some(open) => (open, true),
        None => (&svg[..end], false),
    };
    // JSON can say "]]>" as "]]\u003e", which keeps the CDATA section whole.
    let text = credential.replace("]]>", "]]\\u003e");
    let mut out = String::with_capacity(svg.len() + text.len() + 128);
    out.push_str(open);
    out.push_str(&format!(" xmlns:openbadges=\"{NAMESPACE}\">"));
    out.push_str(&format!("<openbadges:credential><![CDATA[{text}]]></openbadges:credential>"));
    if self_closing {
        out.push_str("</svg>");
    }
    out.push_str(&svg[end + 1..]);
    Ok(out)
}

/// The credential baked into an SVG.
pub fn unbake_svg(svg: &str) -> Result<String, BakeError> {
    let open = "<openbadges:credential>";
    let start = svg.find(open).ok_or_else(|| BakeError("the SVG holds no baked credential".into()))?;
    let body = &svg[start + open.len()..];
    let end =
        body.find("</openbadges:credential>").ok_or_else(|| BakeError("the baked credential is not closed".into()))?;
    let body = body[..end].trim();
    let text = body.strip_prefix("<![CDATA[").and_then(|b| b.strip_suffix("]]>")).unwrap_or(body);
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG, as image tools write it.
    fn tiny_png() -> Vec<u8> {
        let mut png = PNG_SIGNATURE.to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(kind);
            hasher.update(data);
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            png.extend_from_slice(&hasher.finalize().to_be_bytes());
        };
        chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
        chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 5, 0, 1]);
        chunk(b"IEND", &[]);
        png
    }

    #[test]
    fn a_png_gives_back_the_credential_baked_into_it() {
        let credential = r#"{"id":"urn:uuid:1","name":"Zoë ]]> <b>"}"#;
        let baked = bake_png(&tiny_png(), credential).unwrap();
        assert_eq!(unbake_png(&baked).unwrap(), credential);
        assert!(bake_png(&baked, credential).is_err(), "a badge holds one credential");
        let mut damaged = baked.clone();
        let at = baked.len() / 2;
        damaged[at] ^= 1;
        assert!(unbake_png(&damaged).is_err());
    }

    #[test]
    fn an_svg_gives_back_the_credential_baked_into_it() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>"#;
        let credential = r#"{"name":"a ]]> b"}"#;
        let baked = bake_svg(svg, credential).unwrap();
        assert!(baked.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential><![CDATA["#));
        let back: Value = serde_json::from_str(&unbake_svg(&baked).unwrap()).unwrap();
        assert_eq!(back["name"], "a ]]> b");
    }
}
