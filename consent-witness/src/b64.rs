//! Standard base64 (RFC 4648 §4) as the C2SP formats use it, decoded strictly: padding required,
//! no trailing bits, so each byte string has exactly one accepted text.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(false),
);

/// Encodes bytes.
pub(crate) fn encode(bytes: &[u8]) -> String {
    ENGINE.encode(bytes)
}

/// Decodes canonical standard base64; `None` for anything else.
pub(crate) fn decode(text: &str) -> Option<Vec<u8>> {
    ENGINE.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        assert_eq!(encode(b"ab"), "YWI=");
        assert_eq!(decode("YWI=").as_deref(), Some(&b"ab"[..]));
        // Missing padding, non-canonical trailing bits, URL alphabet, whitespace.
        for bad in ["YWI", "YWJ=", "YW-=", " YWI=", "YWI=\n", "YWI==", "Y"] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}
