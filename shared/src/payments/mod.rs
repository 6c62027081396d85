//! The payment provider (Stripe): webhook signature verification. The API client and the
//! webhook/checkout handlers build on this (issue #4).

pub mod keys;
pub mod signature;
pub mod stripe;
