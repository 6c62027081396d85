//! Ferrocart's one library crate. Every function binary is a thin `main.rs` over a handler in [`api`].
//!
//! - [`config`]: settings read once from the environment at cold start.
//! - [`context`]: the per-sandbox context (config, AWS clients, token keys) built once.
//! - [`keys`]: every single-table key string, built in one place.
//! - [`store`]: data access (DynamoDB through serde_dynamo) and its error type.
//! - [`error`]: the HTTP boundary's error type, mapped to a status in one place.
//! - [`http`]: request parsing (size, media type, strict JSON) and response helpers.
//! - [`auth`]: password hashing, access tokens (JWT), refresh tokens, the authenticated principal.
//! - [`api`]: the HTTP handlers, one module per function.

pub mod api;
pub mod auth;
pub mod config;
pub mod consumer;
pub mod context;
pub mod digest;
pub mod error;
pub mod http;
pub mod ids;
pub mod keys;
pub mod messages;
pub mod metrics;
pub mod money;
pub mod payments;
pub mod runtime;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod time;
pub mod validate;

pub use context::AppContext;
pub use error::ApiError;
