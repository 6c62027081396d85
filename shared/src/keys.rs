//! Every single-table key string, built here and nowhere else (see docs/data-model.md).
//! The unit tests pin the exact strings: changing one is a data migration, not a refactor.

use crate::ids::{SessionId, UserId};
use serde::{Deserialize, Serialize};

/// Attribute names of the table's keys and indexes.
pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const TTL: &str = "ttl";

/// A primary key (partition + sort).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }
}

/// A user's profile item: `USER#<id>` / `PROFILE`.
pub fn user(id: &UserId) -> Key {
    Key::new(format!("USER#{id}"), "PROFILE")
}

/// The uniqueness guard and lookup for a normalised email: `EMAIL#<email>` / `EMAIL`.
pub fn user_email(normalised_email: &str) -> Key {
    Key::new(format!("EMAIL#{normalised_email}"), "EMAIL")
}

/// A login session: `SESSION#<id>` / `SESSION`.
pub fn session(id: &SessionId) -> Key {
    Key::new(format!("SESSION#{id}"), "SESSION")
}

/// A spent (rotated-away) refresh token of a session, kept to detect reuse:
/// `SESSION#<id>` / `SPENT#<sha256 hex>`.
pub fn spent_refresh_token(id: &SessionId, token_hash: &str) -> Key {
    Key::new(format!("SESSION#{id}"), format!("SPENT#{token_hash}"))
}

/// GSI1 keys listing a user's sessions, newest last: `USER#<id>` / `SESSION#<created>#<session>`.
pub fn user_sessions_gsi1(user: &UserId, created_at: u64, session: &SessionId) -> Key {
    Key::new(
        format!("USER#{user}"),
        format!("SESSION#{created_at:012}#{session}"),
    )
}

/// Failed-login counter for one account and one fixed window:
/// `LOGINFAIL#<email>` / `WINDOW#<window start, unix seconds>`.
pub fn login_failures(normalised_email: &str, window_start: u64) -> Key {
    Key::new(
        format!("LOGINFAIL#{normalised_email}"),
        format!("WINDOW#{window_start:012}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_strings_are_pinned() {
        let u = UserId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70").unwrap();
        let s = SessionId::parse("0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71").unwrap();
        assert_eq!(
            user(&u),
            Key {
                pk: "USER#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70".into(),
                sk: "PROFILE".into()
            }
        );
        assert_eq!(user_email("a@b.co").pk, "EMAIL#a@b.co");
        assert_eq!(user_email("a@b.co").sk, "EMAIL");
        assert_eq!(
            session(&s).pk,
            "SESSION#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71"
        );
        assert_eq!(session(&s).sk, "SESSION");
        assert_eq!(spent_refresh_token(&s, "ab12").sk, "SPENT#ab12");
        assert_eq!(spent_refresh_token(&s, "ab12").pk, session(&s).pk);
        let g = user_sessions_gsi1(&u, 1_795_204_680, &s);
        assert_eq!(g.pk, "USER#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f70");
        assert_eq!(
            g.sk,
            "SESSION#001795204680#0191f2a4-8f5e-7c3a-9d1e-2b3c4d5e6f71"
        );
        let f = login_failures("a@b.co", 900);
        assert_eq!(
            (f.pk.as_str(), f.sk.as_str()),
            ("LOGINFAIL#a@b.co", "WINDOW#000000000900")
        );
    }
}
