//! Stripe webhook signatures, verified exactly as Stripe specifies (and its official libraries
//! implement): the `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>[,v1=<hex>...]` plus
//! possibly other schemes (e.g. `v0`), which are ignored. The signed payload is
//! `"<t>.<raw body bytes>"`, HMAC-SHA256 keyed with the endpoint's signing secret. Any one `v1` may
//! match (secrets roll), compared in constant time. The timestamp must be within the tolerance of
//! now in either direction. Verification runs on the raw bytes, before any parsing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Stripe-Signature header is missing")]
    Missing,
    #[error("Stripe-Signature header is malformed")]
    Malformed,
    #[error("Stripe-Signature header has no v1 signature")]
    NoV1,
    #[error("timestamp is outside the tolerance")]
    OutsideTolerance,
    #[error("no signature matches the payload")]
    Mismatch,
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Verifies `header` for `body` with `secret` at time `now` (Unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &[u8],
    now: u64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp: Option<u64> = None;
    let mut v1: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match k {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed);
                }
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(v.parse().map_err(|_| SignatureError::Malformed)?);
            }
            // A v1 that is not hex cannot match; skip it rather than fail the others.
            "v1" => v1.extend(hex_decode(v)),
            _ => {} // other schemes (v0, ...) are ignored, as Stripe's libraries do
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    if now.abs_diff(t) > tolerance_secs {
        return Err(SignatureError::OutsideTolerance);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    // `verify_slice` compares in constant time.
    if v1.iter().any(|sig| mac.clone().verify_slice(sig).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Builds a header the way Stripe does (tests, and local tooling that plays Stripe).
pub fn sign(body: &[u8], secret: &[u8], t: u64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return format!("t={t}"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const NOW: u64 = 1_795_291_080;

    fn check(header: &str) -> Result<(), SignatureError> {
        verify(Some(header), BODY, SECRET, NOW, DEFAULT_TOLERANCE_SECS)
    }

    #[test]
    fn a_correct_signature_verifies() {
        assert_eq!(check(&sign(BODY, SECRET, NOW)), Ok(()));
    }

    #[test]
    fn matches_an_independently_computed_signature() {
        // Python: hmac.new(b"whsec_test_secret", b"1795291080." + BODY, hashlib.sha256).hexdigest()
        let expected =
            "t=1795291080,v1=898b5bd35b530af39a733df5d41478dea797f2066b16a80ac43c7238343df4d6";
        assert_eq!(sign(BODY, SECRET, NOW), expected);
        assert_eq!(check(expected), Ok(()));
    }

    #[test]
    fn wrong_secret_or_tampered_body_fails() {
        let h = sign(BODY, b"another_secret", NOW);
        assert_eq!(check(&h), Err(SignatureError::Mismatch));
        let h = sign(br#"{"id":"evt_1","type":"charge.refunded"}"#, SECRET, NOW);
        assert_eq!(check(&h), Err(SignatureError::Mismatch));
        // Same bytes but re-serialised JSON (whitespace) is a different payload.
        let good = sign(BODY, SECRET, NOW);
        assert!(
            verify(
                Some(&good),
                br#"{"id": "evt_1","type":"payment_intent.succeeded"}"#,
                SECRET,
                NOW,
                300
            )
            .is_err()
        );
    }

    #[test]
    fn stale_and_future_timestamps_fail() {
        assert_eq!(
            check(&sign(BODY, SECRET, NOW - 301)),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(
            check(&sign(BODY, SECRET, NOW + 301)),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(check(&sign(BODY, SECRET, NOW - 300)), Ok(()));
        assert_eq!(check(&sign(BODY, SECRET, NOW + 300)), Ok(()));
    }

    #[test]
    fn any_v1_may_match_and_other_schemes_are_ignored() {
        let good = sign(BODY, SECRET, NOW);
        let sig = good.split("v1=").nth(1).unwrap();
        let stale = sign(BODY, b"old_secret", NOW);
        let stale_sig = stale.split("v1=").nth(1).unwrap();
        assert_eq!(check(&format!("t={NOW},v1={stale_sig},v1={sig}")), Ok(()));
        assert_eq!(check(&format!("t={NOW},v0=abcdef,v1={sig}")), Ok(()));
        assert_eq!(
            check(&format!("v1={sig},t={NOW}")),
            Ok(()),
            "order does not matter"
        );
        assert_eq!(check(&format!("t={NOW},v1=nothex,v1={sig}")), Ok(()));
        // A valid v0 alone is not enough.
        assert_eq!(
            check(&format!("t={NOW},v0={sig}")),
            Err(SignatureError::NoV1)
        );
    }

    #[test]
    fn missing_and_malformed_headers_fail() {
        assert_eq!(
            verify(None, BODY, SECRET, NOW, 300),
            Err(SignatureError::Missing)
        );
        let sig = sign(BODY, SECRET, NOW);
        let v1 = sig.split("v1=").nth(1).unwrap();
        for bad in [
            String::new(),
            "garbage".into(),
            format!("v1={v1}"),
            format!("t=,v1={v1}"),
            format!("t=-5,v1={v1}"),
            format!("t=12a,v1={v1}"),
            format!("t={NOW},t={NOW},v1={v1}"),
            format!("t={NOW}"),
            format!("t={NOW},v1=zz"),
            format!("t=99999999999999999999999,v1={v1}"),
        ] {
            assert!(check(&bad).is_err(), "{bad:?}");
        }
        // Truncated or extended signatures never match.
        assert!(check(&format!("t={NOW},v1={}", &v1[..62])).is_err());
        assert!(check(&format!("t={NOW},v1={v1}00")).is_err());
    }
}
