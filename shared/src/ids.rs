//! Identifier newtypes. Ids are UUIDv7 (time-ordered) rendered as lowercase hyphenated strings.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().to_string())
            }
            /// The id derived from `name` (the same name, the same id), shaped like a random one:
            /// the first 16 bytes of its SHA-256 with the version-4 bits set.
            pub fn derived(name: &str) -> Self {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(name.as_bytes());
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(&digest[..16]);
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid().to_string())
            }
            /// Parses an id that came from outside (path, token, message); `None` unless it is a UUID.
            pub fn parse(s: &str) -> Option<Self> {
                uuid::Uuid::try_parse(s).ok().map(|u| Self(u.to_string()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A registered user.
    UserId
);
impl UserId {
    /// The id a guest buyer's orders and holds go by: derived from the email the guest gave, so
    /// one email's unpaid guest orders count against one customer's hold limits. A derived id is
    /// a version-4 UUID and every account's a version-7 one, so it is never an account's.
    pub fn guest(normalised_email: &str) -> Self {
        Self::derived(&format!("guest-buyer|{normalised_email}"))
    }

    /// The id a guest's checkout keys (`Idempotency-Key`) are scoped to: derived from its cart
    /// token's digest, a secret only that guest holds, so nobody else can replay its answer.
    pub fn guest_cart(token_hash: &str) -> Self {
        Self::derived(&format!("guest-cart|{token_hash}"))
    }
}

id_type!(
    /// A product in the catalog.
    ProductId
);
id_type!(
    /// One uploaded product image (its variants share this id).
    ImageId
);
id_type!(
    /// An order.
    OrderId
);
id_type!(
    /// One saved address of a customer's address book.
    AddressId
);
id_type!(
    /// One login session (the family of refresh tokens issued from one login).
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_uuids_and_normalises_case() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(
            UserId::parse(&id.as_str().to_uppercase()).map(|u| u.to_string()),
            Some(id.to_string())
        );
        assert!(UserId::parse("USER#x").is_none());
        assert!(UserId::parse("").is_none());
        let d = AddressId::derived("a name");
        assert_eq!(d, AddressId::derived("a name"));
        assert_ne!(d, AddressId::derived("another name"));
        assert_eq!(AddressId::parse(d.as_str()), Some(d));
        let g = UserId::guest("a@b.co");
        assert_ne!(g, UserId::guest_cart("a@b.co"));
        let v = |u: &UserId| uuid::Uuid::parse_str(u.as_str()).unwrap().get_version_num();
        assert_eq!((v(&g), v(&UserId::generate())), (4, 7));
    }
}
