//! A std-only HTTP server: /healthz for the probe, / with a greeting.
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

fn main() {
    let listen = std::env::args()
        .skip(1)
        .find_map(|a| a.strip_prefix("--listen=").map(String::from))
        .unwrap_or_else(|| "0.0.0.0:8080".into());
    let listen = if listen.starts_with(':') { format!("0.0.0.0{listen}") } else { listen };
    let listener = TcpListener::bind(&listen).expect("bind");
    println!("{{\"level\":\"info\",\"msg\":\"listening\",\"addr\":\"{listen}\"}}");
    for (n, conn) in listener.incoming().enumerate() {
        let Ok(mut conn) = conn else { continue };
        let mut line = String::new();
        if BufReader::new(&conn).read_line(&mut line).is_err() {
            continue;
        }
        let body = if line.starts_with("GET /healthz ") { "ok\n".to_string() } else { greet::greeting(n as u64) };
        let _ = write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.len(), body);
    }
}
