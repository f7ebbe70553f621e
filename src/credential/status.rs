//! The W3C Bitstring Status List (v1.0), as credentials carry it: a `BitstringStatusListEntry`
//! naming one bit of a list, and the `BitstringStatusListCredential` that publishes the list
//! (a set bit means revoked), GZIP-compressed in multibase base64url.

use std::collections::BTreeSet;
use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The number of bits in a list: the specification's minimum, 16 KB uncompressed.
pub const LIST_SIZE: u64 = 131_072;

/// The address of a status list credential.
pub fn list_url(base: &str, list: u32) -> String {
    format!("{}/status/{list}.json", base.trim_end_matches('/'))
}

/// The `credentialStatus` of a credential whose bit is `index` of list `list`.
pub fn entry(base: &str, list: u32, index: u64) -> Value {
    let list = list_url(base, list);
    json!({
        "id": format!("{list}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": list,
    })
}

/// The `encodedList` of a list whose set bits are `revoked`: the bitstring (index 0 the most
/// significant bit of the first byte), GZIP-compressed, in multibase base64url.
pub fn encode(revoked: &BTreeSet<u64>) -> String {
    let mut bits = vec![0u8; (LIST_SIZE / 8) as usize];
    for &index in revoked.iter().filter(|&&i| i < LIST_SIZE) {
        bits[(index / 8) as usize] |= 0x80 >> (index % 8);
    }
    // A fixed header (no time, no name) so that the same bits give the same bytes.
    let mut gzip = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::best());
    gzip.write_all(&bits).expect("compressing into memory");
    format!("u{}", URL_SAFE_NO_PAD.encode(gzip.finish().expect("compressing into memory")))
}

/// Whether bit `index` of an `encodedList` is set; an error says why the list cannot be read.
pub fn bit(encoded: &str, index: u64) -> Result<bool, String> {
    let compressed = encoded
        .strip_prefix('u')
        .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
        .ok_or("the encodedList is not multibase base64url")?;
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .take(LIST_SIZE * 64)
        .read_to_end(&mut bits)
        .map_err(|e| format!("the encodedList is not GZIP data ({e})"))?;
    let byte = bits
        .get((index / 8) as usize)
        .ok_or_else(|| format!("the index {index} is beyond the end of the list ({} entries)", bits.len() * 8))?;
    Ok(byte & (0x80 >> (index % 8)) != 0)
}

/// The status list credential of list `list`, unsigned: issued by `issuer` at `valid_from`.
pub fn list_credential(base: &str, list: u32, issuer: &str, valid_from: &str, revoked: &BTreeSet<u64>) -> Value {
    let id = list_url(base, list);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{id}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_read_back_from_the_encoded_list() {
        let revoked: BTreeSet<u64> = [0, 7, 8, 94_567, LIST_SIZE - 1].into();
        let encoded = encode(&revoked);
        for index in [0, 1, 7, 8, 9, 94_566, 94_567, LIST_SIZE - 1] {
            assert_eq!(bit(&encoded, index), Ok(revoked.contains(&index)), "bit {index}");
        }
        assert!(bit(&encoded, LIST_SIZE).is_err());
        assert_eq!(encode(&revoked), encoded, "the same bits give the same text");
    }

    #[test]
    fn an_empty_list_is_the_specifications_example() {
        // The W3C example of an empty list of 131,072 entries, compressed at the same level,
        // decodes to all zeros; ours does too and is as small.
        let encoded = encode(&BTreeSet::new());
        assert!(encoded.len() < 200, "{encoded}");
        assert_eq!(bit(&encoded, 131_071), Ok(false));
    }
}
