//! Boxed errors and their cause chain, for logs: what the store, the consumers and the HTTP
//! boundary share.

pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `outer: inner: innermost`, for logs.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}
