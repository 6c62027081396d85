//! Access tokens: HS256 JWTs with one pinned algorithm, `typ: at+jwt` (RFC 9068), and required
//! `exp`, `nbf`, `iat`, `iss`, `aud`, `sub`. Anything else (`alg: none`, another algorithm, a wrong
//! key, an expired or not-yet-valid token, another issuer or audience, another token type) fails.

use crate::ids::{SessionId, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const TOKEN_TYPE: &str = "at+jwt";
const LEEWAY_SECS: u64 = 30;

pub use crate::state::Role;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub role: Role,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is invalid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token is not an access token")]
    WrongType,
    #[error("token subject or session is malformed")]
    BadSubject,
}

/// A verified access token.
#[derive(Debug, Clone)]
pub struct VerifiedAccess {
    pub user_id: UserId,
    pub session_id: SessionId,
    pub role: Role,
    pub expires_at: u64,
}

/// What signs and verifies access tokens: HS256 key material of at least 32 bytes, the issuer and
/// audience every token carries, and how long an access token lives.
#[derive(Clone)]
pub struct TokenConfig {
    pub secret: Vec<u8>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: u64,
}

impl std::fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenConfig")
            .field("secret", &"<redacted>")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .finish()
    }
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: u64,
}

impl TokenService {
    pub fn new(cfg: &TokenConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&cfg.issuer]);
        validation.set_audience(&[&cfg.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(&cfg.secret),
            decoding: DecodingKey::from_secret(&cfg.secret),
            validation,
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            access_ttl_secs: cfg.access_ttl_secs,
        }
    }

    /// Signs an access token valid from `now` for the configured lifetime.
    pub fn issue(
        &self,
        user: &UserId,
        session: &SessionId,
        role: Role,
        now: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.to_string(),
            sid: session.to_string(),
            role,
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_secs,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims with this service's key and header (tests use it to craft tokens).
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(TOKEN_TYPE.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    pub fn verify(&self, token: &str) -> Result<VerifiedAccess, TokenError> {
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)?;
        if !data
            .header
            .typ
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(TOKEN_TYPE))
        {
            return Err(TokenError::WrongType);
        }
        let c = data.claims;
        let user_id = UserId::parse(&c.sub).ok_or(TokenError::BadSubject)?;
        let session_id = SessionId::parse(&c.sid).ok_or(TokenError::BadSubject)?;
        Ok(VerifiedAccess {
            user_id,
            session_id,
            role: c.role,
            expires_at: c.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn cfg(secret: &str) -> TokenConfig {
        TokenConfig {
            secret: secret.as_bytes().to_vec(),
            issuer: "ferrocart".into(),
            audience: "ferrocart-api".into(),
            access_ttl_secs: 900,
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn svc() -> TokenService {
        TokenService::new(&cfg(SECRET))
    }

    fn now() -> u64 {
        crate::time::now_unix()
    }

    fn claims(now: u64) -> AccessClaims {
        AccessClaims {
            iss: "ferrocart".into(),
            aud: "ferrocart-api".into(),
            sub: UserId::generate().to_string(),
            sid: SessionId::generate().to_string(),
            role: Role::Customer,
            iat: now,
            nbf: now,
            exp: now + 900,
        }
    }

    fn encode_with(alg: Algorithm, typ: Option<&str>, c: &AccessClaims, key: &[u8]) -> String {
        let mut h = Header::new(alg);
        h.typ = typ.map(str::to_string);
        jsonwebtoken::encode(&h, c, &EncodingKey::from_secret(key)).unwrap()
    }

    #[test]
    fn round_trip() {
        let s = svc();
        let (u, sid) = (UserId::generate(), SessionId::generate());
        let t = s.issue(&u, &sid, Role::Admin, now()).unwrap();
        let v = s.verify(&t).unwrap();
        assert_eq!(v.user_id, u);
        assert_eq!(v.session_id, sid);
        assert_eq!(v.role, Role::Admin);
    }

    #[test]
    fn alg_none_is_rejected() {
        let c = claims(now());
        let header = B64.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
        let payload = B64.encode(serde_json::to_vec(&c).unwrap());
        for t in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert!(svc().verify(&t).is_err(), "{t}");
        }
    }

    #[test]
    fn other_algorithm_same_key_is_rejected() {
        let t = encode_with(
            Algorithm::HS512,
            Some(TOKEN_TYPE),
            &claims(now()),
            SECRET.as_bytes(),
        );
        assert!(svc().verify(&t).is_err());
        let t = encode_with(
            Algorithm::HS384,
            Some(TOKEN_TYPE),
            &claims(now()),
            SECRET.as_bytes(),
        );
        assert!(svc().verify(&t).is_err());
    }

    #[test]
    fn wrong_key_is_rejected() {
        let t = encode_with(
            Algorithm::HS256,
            Some(TOKEN_TYPE),
            &claims(now()),
            b"another-secret-another-secret-xx",
        );
        assert!(svc().verify(&t).is_err());
    }

    #[test]
    fn expired_and_not_yet_valid_are_rejected() {
        let s = svc();
        let mut c = claims(now() - 3600);
        c.exp = now() - 120;
        assert!(s.verify(&s.sign(&c).unwrap()).is_err(), "expired");
        let mut c = claims(now());
        c.nbf = now() + 600;
        assert!(s.verify(&s.sign(&c).unwrap()).is_err(), "not yet valid");
        // within leeway is still accepted
        let mut c = claims(now());
        c.nbf = now() + 5;
        assert!(s.verify(&s.sign(&c).unwrap()).is_ok());
    }

    #[test]
    fn wrong_issuer_audience_or_type_is_rejected() {
        let s = svc();
        let mut c = claims(now());
        c.iss = "someone-else".into();
        assert!(s.verify(&s.sign(&c).unwrap()).is_err(), "iss");
        let mut c = claims(now());
        c.aud = "another-api".into();
        assert!(s.verify(&s.sign(&c).unwrap()).is_err(), "aud");
        let c = claims(now());
        let t = encode_with(Algorithm::HS256, Some("JWT"), &c, SECRET.as_bytes());
        assert!(matches!(s.verify(&t), Err(TokenError::WrongType)));
        let t = encode_with(Algorithm::HS256, None, &c, SECRET.as_bytes());
        assert!(s.verify(&t).is_err(), "missing typ");
    }

    #[test]
    fn missing_claims_and_garbage_are_rejected() {
        #[derive(Serialize)]
        struct NoExp {
            iss: &'static str,
            aud: &'static str,
            sub: String,
            sid: String,
            role: Role,
            iat: u64,
            nbf: u64,
        }
        let n = now();
        let c = NoExp {
            iss: "ferrocart",
            aud: "ferrocart-api",
            sub: UserId::generate().to_string(),
            sid: SessionId::generate().to_string(),
            role: Role::Customer,
            iat: n,
            nbf: n,
        };
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some(TOKEN_TYPE.into());
        let t = jsonwebtoken::encode(&h, &c, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
        assert!(svc().verify(&t).is_err());
        for junk in ["", "a.b.c", "....", "eyJ.eyJ.sig", "\u{0}"] {
            assert!(svc().verify(junk).is_err(), "{junk:?}");
        }
        let mut c = claims(n);
        c.sub = "USER#not-a-uuid".into();
        assert!(matches!(
            svc().verify(&svc().sign(&c).unwrap()),
            Err(TokenError::BadSubject)
        ));
    }
}
