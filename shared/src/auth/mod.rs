//! Identity: password hashing, access tokens, refresh tokens, and the authenticated caller.

pub mod password;
pub mod principal;
pub mod refresh;
pub mod token;

pub use principal::{Principal, authenticate, require_admin};
pub use token::{Role, TokenService};
