//! HTTPS and WSS on the server's one port (`ServerConfig::tls`): Vite's `server.https`, which
//! `@vitejs/plugin-basic-ssl` and `vite-plugin-mkcert` set, and `--https-cert/--https-key`.
//!
//! The certificate and key arrive as PEM text (what Vite passes to node's `https`); rustls
//! (ring's crypto) terminates TLS and the router below never knows. Handshakes run on tasks of
//! their own, so a slow or silent client never holds up the next connection; a browser that
//! speaks plain HTTP to the port is told, in plain HTTP, which URL to open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A handshake that has not finished by then is dropped (its connection closed).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections whose handshake finished, waiting for the server to take them.
const READY_QUEUE: usize = 64;
/// The first byte of every TLS record that starts a handshake.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The server's certificate chain and key, checked: what `ServerConfig::tls` holds.
#[derive(Clone)]
pub struct Tls {
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls { .. }")
    }
}

/// Why a certificate and key cannot serve HTTPS. The binary names where they came from.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(
        "the cert holds no certificate (a PEM block starting `-----BEGIN CERTIFICATE-----` \
         is needed)"
    )]
    NoCertificate,
    #[error(
        "the key holds no private key (a PEM block starting `-----BEGIN PRIVATE KEY-----`, \
         `-----BEGIN RSA PRIVATE KEY-----` or `-----BEGIN EC PRIVATE KEY-----` is needed; an \
         encrypted key must be decrypted first: `openssl pkey -in key.pem -out plain-key.pem`)"
    )]
    NoKey,
    #[error("the PEM text cannot be read: {0}")]
    Pem(#[from] rustls::pki_types::pem::Error),
    #[error("the certificate and key do not work together: {0}")]
    Rejected(#[from] rustls::Error),
}

impl Tls {
    /// From PEM text: `cert` holds the chain (leaf first), `key` the private key. Both may be
    /// the same text holding both (`@vitejs/plugin-basic-ssl` passes one such string twice).
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Tls, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert).collect::<Result<Vec<_>, _>>()?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = match PrivateKeyDer::from_pem_slice(key) {
            Ok(key) => key,
            Err(rustls::pki_types::pem::Error::NoItemsFound) => return Err(TlsError::NoKey),
            Err(e) => return Err(e.into()),
        };
        // ring's provider has no post-quantum key exchange (deprecated for that in 0.23.48):
        // a dev server's certificate is self-signed or local, and aws-lc-rs, which has it,
        // costs a long C build.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        // The router speaks HTTP/1.1 only (WebSocket upgrades included).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}

/// Accepts TCP connections from `tcp` and yields them once their TLS handshake is done.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new<L>(mut tcp: L, tls: &Tls) -> std::io::Result<TlsListener>
    where
        L: axum::serve::Listener<Io = TcpStream, Addr = SocketAddr>,
    {
        let local_addr = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(tls.config.clone());
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let accepting = tokio::spawn(async move {
            loop {
                // (axum's listener retries accept errors itself.)
                let (stream, peer) = tcp.accept().await;
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let Some(stream) = speaks_tls(stream, local_addr).await else {
                        return;
                    };
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!("TLS handshake with {peer} failed: {error}")
                        }
                        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            ready,
            local_addr,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task ended (only when aborted, with the listener): nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// The connection when its first byte starts a TLS handshake. A plain HTTP request (someone
/// typed `http://`) is answered in plain HTTP with the URL to open instead, and closed.
async fn speaks_tls(mut stream: TcpStream, local: SocketAddr) -> Option<TcpStream> {
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE_RECORD => Some(stream),
        Ok(Ok(1)) => {
            let body = format!(
                "This dev server speaks HTTPS: open the same \
                 address with https:// (port {}).\n",
                local.port()
            );
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
            None
        }
        _ => None,
    }
}
