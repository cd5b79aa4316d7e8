//! A TLS client for the server's HTTPS tests: it trusts the fixture's self-signed certificate
//! (for `localhost` and 127.0.0.1) and nothing else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::timeout;

pub const TLS_CERT: &str = include_str!("../fixtures/tls/cert.pem");
pub const TLS_KEY: &str = include_str!("../fixtures/tls/key.pem");

/// The fixture's certificate and key, as the server takes them.
#[allow(
    dead_code,
    reason = "not every test binary that includes this serves HTTPS itself"
)]
pub fn tls() -> hotloop_server::Tls {
    hotloop_server::Tls::from_pem(TLS_CERT.as_bytes(), TLS_KEY.as_bytes()).unwrap()
}

/// A TLS connection to `addr`, as `localhost`; fails the test after `wait`.
pub async fn connect(
    addr: SocketAddr,
    wait: Duration,
) -> tokio_rustls::client::TlsStream<TcpStream> {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(TLS_CERT.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    #[allow(deprecated, reason = "the server's provider, as tls.rs says")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    timeout(wait, connector.connect(name, tcp))
        .await
        .expect("TLS handshake timed out")
        .expect("TLS handshake")
}
