//! A raw HTTP/1.1 client for tests that attack the server: requests are written byte for byte
//! (no client library normalises the target or the headers) and replies parsed by hand.
//! Shared by `engine/tests/server.rs` and `tests/hardening/` through `#[path]`.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(body, b"\r\n") {
        let size_text = String::from_utf8_lossy(&body[..eol]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        if size == 0 || body.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[(eol + 4 + size).min(body.len())..];
    }
    out
}

/// An HTTP/1.1 reply as read off the wire (a chunked body de-chunked).
pub fn parse_reply(bytes: &[u8]) -> Reply {
    let Some(split) = find(bytes, b"\r\n\r\n") else {
        return Reply {
            status: 0,
            headers: vec![],
            body: bytes.to_vec(),
        };
    };
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// Sends `request` byte for byte and reads the reply until the server closes (a reset after a
/// refusal still leaves what was read). Fails the test after `wait`.
pub async fn raw(addr: SocketAddr, request: &[u8], wait: Duration) -> Reply {
    timeout(wait, async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("send request");
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
        parse_reply(&buf)
    })
    .await
    .expect("no HTTP reply within the time-out")
}

/// Sends `request` and reads only the status line and headers (for upgrades that stay open).
#[allow(
    dead_code,
    reason = "not every test binary that includes this file upgrades"
)]
pub async fn raw_head(addr: SocketAddr, request: &[u8], wait: Duration) -> Reply {
    timeout(wait, async {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("send request");
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while find(&buf, b"\r\n\r\n").is_none() {
            match stream.read(&mut byte).await {
                Ok(1) => buf.push(byte[0]),
                _ => break,
            }
        }
        parse_reply(&buf)
    })
    .await
    .expect("no HTTP reply within the time-out")
}
