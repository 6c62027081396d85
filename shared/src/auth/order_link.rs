//! Guest orders' access tokens: what a guest who checked out without an account shows to read its
//! order (`GET /orders/{id}` with `X-Order-Token`), sent in the checkout answer and in the order's
//! emails as a link. A token is the HMAC-SHA256 of the order id and the email the guest gave,
//! under a key derived from the access-token secret (`JWT_SECRET`, domain-separated, so no token
//! of one kind is ever valid as the other): nothing is stored, it cannot be guessed or moved to
//! another order, and it is checked in constant time. It does not expire: the link in a
//! confirmation email works as long as the order exists (and the secret is not rotated).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ids::OrderId;

/// The header a guest order's token travels in.
pub const ORDER_TOKEN_HEADER: &str = "x-order-token";

/// Signs and checks guest orders' tokens.
#[derive(Clone)]
pub struct OrderLinks {
    key: [u8; 32],
}

impl std::fmt::Debug for OrderLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrderLinks(<redacted>)")
    }
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"))
}

impl OrderLinks {
    /// From the access-token secret (at least 32 bytes, checked where it is read).
    pub fn new(secret: &[u8]) -> Self {
        let mut m = mac(secret);
        m.update(b"ferrocart guest order links v1");
        Self {
            key: m.finalize().into_bytes().into(),
        }
    }

    fn mac_of(&self, order: &OrderId, email: &str) -> Hmac<Sha256> {
        let mut m = mac(&self.key);
        m.update(order.as_str().as_bytes());
        m.update(b"\n");
        m.update(email.as_bytes());
        m
    }

    /// The token of the guest order `order` placed with `email` (43 characters of base64url).
    pub fn token(&self, order: &OrderId, email: &str) -> String {
        B64.encode(self.mac_of(order, email).finalize().into_bytes())
    }

    /// Whether `token` is that order's (constant time).
    pub fn verify(&self, order: &OrderId, email: &str, token: &str) -> bool {
        match B64.decode(token.as_bytes()) {
            Ok(bytes) if bytes.len() == 32 => {
                self.mac_of(order, email).verify_slice(&bytes).is_ok()
            }
            _ => false,
        }
    }
}

/// Whether `token` is shaped like an order token (43 characters of base64url).
pub fn well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_order_with_its_email_only() {
        let links = OrderLinks::new(&[7u8; 40]);
        let (a, b) = (OrderId::generate(), OrderId::generate());
        let t = links.token(&a, "g@example.com");
        assert!(well_formed(&t));
        assert!(links.verify(&a, "g@example.com", &t));
        assert!(!links.verify(&b, "g@example.com", &t));
        assert!(!links.verify(&a, "h@example.com", &t));
        assert!(!OrderLinks::new(&[8u8; 40]).verify(&a, "g@example.com", &t));
        let mut other = t.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        assert!(!links.verify(&a, "g@example.com", &String::from_utf8(other).unwrap()));
        assert!(!links.verify(&a, "g@example.com", "short"));
        assert!(!well_formed("not a token"));
    }
}
