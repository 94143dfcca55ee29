//! A small HTTP server used to show what safe-frontend builds: `/healthz`
//! for the probe, JSON logs on stdout, a clean stop on SIGTERM.

use std::fmt::Write as _;
use std::future::poll_fn;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt;
use std::task::Poll;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::signal::unix::{signal, SignalKind};

fn main() {
    let mut listen = String::from("0.0.0.0:8080");
    for arg in std::env::args().skip(1) {
        match arg.strip_prefix("--listen=") {
            // ":8080" means every address, as in Go.
            Some(a) if a.starts_with(':') => listen = format!("0.0.0.0{a}"),
            Some(a) => listen = a.to_string(),
            None => {
                log("error", "unknown argument", &[("arg", &arg)]);
                std::process::exit(2);
            }
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            log("error", "runtime", &[("err", &e.to_string())]);
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(serve(&listen)) {
        log("error", "serve", &[("err", &e.to_string())]);
        std::process::exit(1);
    }
    log("info", "stopped", &[]);
}

async fn serve(listen: &str) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/", get(hello));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    log("info", "listening", &[("addr", listen)]);
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
}

async fn hello() -> impl IntoResponse {
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid().to_string()).unwrap_or_default();
    let body = format!(
        "{{\"message\":\"hello from a hardened image\",\"uid\":{}}}\n",
        quote(&uid)
    );
    ([(header::CONTENT_TYPE, "application/json")], body)
}

/// Resolves on SIGTERM (docker stop, Kubernetes) or SIGINT.
async fn stop_signal() {
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        log("error", "cannot install signal handlers", &[]);
        return std::future::pending().await;
    };
    let name = poll_fn(|cx| {
        if term.poll_recv(cx).is_ready() {
            return Poll::Ready("SIGTERM");
        }
        if int.poll_recv(cx).is_ready() {
            return Poll::Ready("SIGINT");
        }
        Poll::Pending
    })
    .await;
    log("info", "shutting down", &[("signal", name)]);
}

/// Writes one JSON log line to stdout.
fn log(level: &str, msg: &str, fields: &[(&str, &str)]) {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let mut line = format!("{{\"time_ms\":{ms},\"level\":{},\"msg\":{}", quote(level), quote(msg));
    for (k, v) in fields {
        let _ = write!(line, ",{}:{}", quote(k), quote(v));
    }
    line.push_str("}\n");
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
