//! Refresh tokens: `<session id>.<43 chars of base64url, 256 random bits>`. Only their SHA-256 is
//! stored; a token's session id lets the store find the session without a scan.

use crate::ids::SessionId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;

const SECRET_CHARS: usize = 43;

/// A freshly generated refresh token and its stored form.
pub struct NewRefreshToken {
    pub token: String,
    pub hash: String,
}

pub fn generate(session: &SessionId) -> NewRefreshToken {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{session}.{}", B64.encode(secret));
    let hash = hash(&token);
    NewRefreshToken { token, hash }
}

/// SHA-256, lowercase hex. Tokens carry 256 bits of entropy, so a fast hash is the right one.
pub fn hash(token: &str) -> String {
    crate::digest::sha256_hex(token.as_bytes())
}

/// The session a presented token claims to belong to, if it is well-formed.
pub fn parse(token: &str) -> Option<SessionId> {
    let (sid, secret) = token.split_once('.')?;
    if secret.len() != SECRET_CHARS || B64.decode(secret).ok()?.len() != 32 {
        return None;
    }
    SessionId::parse(sid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_and_hash_stably() {
        let sid = SessionId::generate();
        let a = generate(&sid);
        let b = generate(&sid);
        assert_ne!(a.token, b.token);
        assert_eq!(parse(&a.token), Some(sid));
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let sid = SessionId::generate();
        for t in [
            String::new(),
            "abc".into(),
            format!("{sid}."),
            format!("{sid}.short"),
            format!("not-a-uuid.{}", "A".repeat(43)),
            format!("{sid}.{}", "!".repeat(43)),
        ] {
            assert!(parse(&t).is_none(), "{t}");
        }
    }
}
