//! The greeting the server answers with.

/// A JSON greeting that counts requests.
pub fn greeting(n: u64) -> String {
    let mut buf = itoa::Buffer::new();
    format!("{{\"message\":\"hello from a workspace member\",\"request\":{}}}\n", buf.format(n))
}
