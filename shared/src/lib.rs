//! Ferrocart's one library crate: what two or more functions use. Each function's own handler and
//! typed context live in its crate, `functions/<name>/src/lib.rs`.
//!
//! - [`settings`]: the environment with secrets resolved; [`startup`]: what a function's context
//!   is built from at cold start ([`startup::FunctionContext`]).
//! - [`keys`]: every single-table key string, built in one place.
//! - [`store`]: data access (DynamoDB through serde_dynamo) and its error type.
//! - [`error`]: the HTTP boundary's error type, mapped to a status in one place.
//! - [`http`]: request parsing (size, media type, strict JSON) and response helpers.
//! - [`auth`]: password hashing, access tokens (JWT), refresh tokens, the authenticated principal.
//! - [`views`]: what several HTTP functions answer (the priced cart, the product views).
//! - [`runtime`]: what every function's `main` calls.

pub mod address_rules;
pub mod auth;
pub mod chain;
pub mod consumer;
pub mod digest;
pub mod error;
pub mod http;
pub mod ids;
pub mod keys;
pub mod lake;
pub mod messages;
pub mod metrics;
pub mod money;
pub mod payments;
pub mod response;
pub mod runtime;
pub mod selling;
pub mod settings;
pub mod startup;
pub mod state;
pub mod store;
pub mod streams;
pub mod telemetry;
pub mod time;
pub mod validate;
pub mod views;

pub use error::ApiError;
