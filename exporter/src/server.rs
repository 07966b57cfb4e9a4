//! The HTTP server (hyper on tokio): `/metrics` (or the configured path), `/` landing page, `/healthz`.
//! Read and write timeouts, a cap on concurrent scrapes (503 beyond it), a header size limit, only
//! GET and HEAD, optional TLS and basic auth (see `web_config`), and graceful shutdown on SIGTERM /
//! SIGINT.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_TYPE, HOST, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;

use crate::basic_auth::Verdict;
use crate::collect_filter::select;
use crate::scrape::{accepts_gzip, gzip, Scraper};
use crate::web_config::LiveWeb;

/// Settings of the server.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub telemetry_path: String,
    pub max_requests: usize,
    /// Open connections at most; one beyond it is closed as soon as it is accepted.
    pub max_connections: usize,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
    /// Where `POST /-/reload` sends its request (`--web.enable-lifecycle`); `None`: 403.
    pub reload: Option<crate::reload::Requests>,
}

/// How long a scrape waits for one of the `--web.max-requests` collection slots before it gets 503.
const SCRAPE_SLOT_WAIT: Duration = Duration::from_secs(10);

struct State {
    scraper: Arc<Scraper>,
    settings: ServerSettings,
    scrape_slots: Option<Semaphore>,
    /// TLS and basic auth in force (a reload replaces them).
    web: Arc<LiveWeb>,
}

/// Resolves node_exporter-style addresses: `:9100` means every interface (IPv6 and IPv4).
pub async fn bind(address: &str) -> std::io::Result<TcpListener> {
    if let Some(port) = address.strip_prefix(':') {
        let port: u16 = port.parse().map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("invalid port in {address:?}"))
        })?;
        return match listen_on(SocketAddr::from(([0u16; 8], port))) {
            Ok(listener) => Ok(listener),
            Err(_) => listen_on(SocketAddr::from(([0u8; 4], port))),
        };
    }
    let mut last_error = None;
    for candidate in tokio::net::lookup_host(address).await? {
        match listen_on(candidate) {
            Ok(listener) => return Ok(listener),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{address:?} resolves to no address"))
    }))
}

/// Binds one address with the kernel's full accept backlog (`net.core.somaxconn`), as Go's
/// net package does, so a burst of connections waits in the queue to be accepted (and, beyond
/// `--web.max-connections`, closed) instead of having its handshake dropped and retried seconds later.
fn listen_on(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv6() { TcpSocket::new_v6()? } else { TcpSocket::new_v4()? };
    socket.set_reuseaddr(true)?;
    defer_accept(&socket);
    socket.bind(address)?;
    socket.listen(accept_backlog())
}

/// Asks the kernel to hand over a connection only once its first bytes (the request, or a TLS
/// ClientHello) have arrived (`TCP_DEFER_ACCEPT`, nginx's `deferred`): the accepting thread then
/// wakes once per connection, not once for the handshake and again for the request. A connection
/// that sends nothing waits in the kernel for about a second before it is accepted like any other
/// (and then takes a `--web.max-connections` slot until the read timeout). Best effort: where the
/// option is refused, connections are accepted as before.
fn defer_accept(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    // Seconds the kernel waits for data before it accepts the connection anyway (then the read
    // timeout applies as to any other connection).
    let seconds: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, and a pointer to a c_int with its size, as setsockopt expects.
    let refused = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            std::ptr::from_ref(&seconds).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    } != 0;
    if refused {
        log::debug!("TCP_DEFER_ACCEPT refused: {}", std::io::Error::last_os_error());
    }
}

/// `net.core.somaxconn`, or 4096 where it cannot be read (the kernel caps the backlog to it anyway).
fn accept_backlog() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
        .filter(|&backlog| backlog > 0)
        .map_or(4096, |backlog| backlog.min(65_535))
}

/// Accepts the next connection on any of `listeners` (all of systemd's sockets, or the one bound
/// address), starting the search at a rotating index so a busy socket cannot starve the others.
async fn accept_any(
    listeners: &[TcpListener],
    next: &mut usize,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    std::future::poll_fn(|cx| {
        for offset in 0..listeners.len() {
            let index = (*next + offset) % listeners.len();
            if let std::task::Poll::Ready(accepted) = listeners[index].poll_accept(cx) {
                *next = index + 1;
                return std::task::Poll::Ready(accepted);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// Serves on every listener until `shutdown` resolves, then lets in-flight requests finish (up to
/// the write timeout). With no listener it only waits for `shutdown`.
pub async fn serve(
    listeners: Vec<TcpListener>,
    scraper: Arc<Scraper>,
    settings: ServerSettings,
    web: Arc<LiveWeb>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let state = Arc::new(State {
        scrape_slots: (settings.max_requests > 0).then(|| Semaphore::new(settings.max_requests)),
        scraper,
        settings,
        web,
    });
    let graceful = Arc::new(GracefulShutdown::new());
    let connection_slots = Arc::new(Semaphore::new(state.settings.max_connections.max(1)));
    let mut refused_since_warning = 0u64;
    let mut last_warning: Option<tokio::time::Instant> = None;
    tokio::pin!(shutdown);
    let mut next_listener = 0;
    loop {
        tokio::select! {
            accepted = accept_any(&listeners, &mut next_listener), if !listeners.is_empty() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(err) => {
                        // Out of file descriptors and similar: back off instead of spinning.
                        log::warn!("accept failed: {err}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = connection_slots.clone().try_acquire_owned() else {
                    // Over --web.max-connections: closed at once, so a flood cannot hold memory.
                    drop(stream);
                    refused_since_warning += 1;
                    if last_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                        log::warn!(
                            "{refused_since_warning} connections closed at once: {} open already (--web.max-connections)",
                            state.settings.max_connections
                        );
                        refused_since_warning = 0;
                        last_warning = Some(tokio::time::Instant::now());
                    }
                    continue;
                };
                let state = state.clone();
                let graceful = graceful.clone();
                // The TLS config in force when the connection came in (a reload changes later ones).
                let tls = state.web.current().tls.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    match tls {
                        None => serve_connection(stream, state, &graceful).await,
                        Some(acceptor) => {
                            let handshake = tokio::time::timeout(state.settings.read_timeout, acceptor.accept(stream));
                            match handshake.await {
                                Ok(Ok(tls_stream)) => serve_connection(tls_stream, state, &graceful).await,
                                Ok(Err(err)) => log::debug!("TLS handshake failed: {err}"),
                                Err(_) => log::debug!("TLS handshake timed out"),
                            }
                        }
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listeners);
    let limit = state.settings.write_timeout;
    let Ok(graceful) = Arc::try_unwrap(graceful) else {
        // Connections still being set up hold a handle; give them the write timeout to finish.
        tokio::time::sleep(Duration::from_millis(100)).await;
        return;
    };
    if tokio::time::timeout(limit, graceful.shutdown()).await.is_err() {
        log::warn!("connections still open after {limit:?}; closing them");
    }
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it closes or the write timeout passes.
async fn serve_connection<I>(io: I, state: Arc<State>, graceful: &GracefulShutdown)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let for_service = state.clone();
    let service = service_fn(move |request| {
        let state = for_service.clone();
        async move { Ok::<_, Infallible>(handle(&state, request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(state.settings.read_timeout)
        .max_buf_size(16 * 1024)
        .serve_connection(TokioIo::new(io), service);
    let watched = graceful.watch(connection);
    let _ = tokio::time::timeout(state.settings.write_timeout, watched).await;
}

fn text_response(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

const LANDING_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>srekit exporter</title></head>\n<body><h1>srekit exporter</h1>\n<p>Host metrics with node_exporter's names, and metrics derived from log files.</p>\n<ul><li><a href=\"METRICS\">Metrics</a></li><li><a href=\"/healthz\">Health</a></li></ul>\n</body></html>\n";

async fn handle(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let is_metrics = request.uri().path() == state.settings.telemetry_path;
    let handler = if is_metrics { "metrics" } else { "other" };
    let response = route(state, &request, is_metrics).await;
    let code = response.status().as_u16().to_string();
    if let Ok(counter) = state.scraper.self_metrics.http_requests.labels(&[handler, &code]) {
        counter.inc();
    }
    if request.method() == Method::HEAD {
        // HEAD answers with the headers GET would have, Content-Length included (RFC 9110 9.3.2).
        let (mut parts, body) = response.into_parts();
        let length = hyper::body::Body::size_hint(&body).exact().unwrap_or(0);
        parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        return Response::from_parts(parts, Full::new(Bytes::new()));
    }
    response
}

async fn route(state: &State, request: &Request<Incoming>, is_metrics: bool) -> Response<Full<Bytes>> {
    // RFC 9112 3.2: an HTTP/1.1 request without Host is answered 400.
    if request.version() == Version::HTTP_11 && !request.headers().contains_key(HOST) {
        return text_response(StatusCode::BAD_REQUEST, "HTTP/1.1 request without a Host header\n");
    }
    let web = state.web.current();
    if let Some(auth) = &web.auth {
        let header = request.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        // /healthz stays open so liveness probes need no credentials.
        if request.uri().path() != "/healthz" {
            match auth.check(header).await {
                Verdict::Allowed => {}
                Verdict::Denied => {
                    let mut response = text_response(StatusCode::UNAUTHORIZED, "unauthorized\n");
                    response
                        .headers_mut()
                        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"srekit\""));
                    return response;
                }
                Verdict::Busy => {
                    let mut response =
                        text_response(StatusCode::TOO_MANY_REQUESTS, "too many authentication attempts\n");
                    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
                    return response;
                }
            }
        }
    }
    if request.uri().path() == "/-/reload" {
        return lifecycle_reload(state, request.method()).await;
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text_response(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are allowed\n");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    match request.uri().path() {
        _ if is_metrics => metrics(state, request).await,
        "/" => {
            let page = LANDING_PAGE.replace("METRICS", &html_escape(&state.settings.telemetry_path));
            let mut response = Response::new(Full::new(Bytes::from(page)));
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        "/healthz" => text_response(StatusCode::OK, "ok\n"),
        _ => text_response(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// `/-/reload` as Prometheus answers it: 403 without `--web.enable-lifecycle`, 405 for a method other
/// than POST and PUT, 500 with the reason when the config could not be applied.
async fn lifecycle_reload(state: &State, method: &Method) -> Response<Full<Bytes>> {
    let Some(requests) = &state.settings.reload else {
        return text_response(StatusCode::FORBIDDEN, "Lifecycle API is not enabled.\n");
    };
    if method != Method::POST && method != Method::PUT {
        let mut response =
            text_response(StatusCode::METHOD_NOT_ALLOWED, "Only POST or PUT requests allowed\n");
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST, PUT"));
        return response;
    }
    let (reply, outcome) = tokio::sync::oneshot::channel();
    if requests.send(crate::reload::Request::Reload(Some(reply))).is_err() {
        return text_response(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
    }
    match outcome.await {
        Ok(Ok(())) => text_response(StatusCode::OK, ""),
        Ok(Err(message)) => {
            let mut response =
                Response::new(Full::new(Bytes::from(format!("failed to reload config: {message}\n"))));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            response
        }
        Err(_) => text_response(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n"),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn metrics(state: &State, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    // Counted from arrival, so that only the last of a queue of scrapes trims the heap.
    let _scraping = crate::memory::Scraping::start();
    // At most `max_requests` collections run at once; a scrape beyond that waits for a slot (a burst
    // of scrapers is served, not refused) and gets 503 only when none frees up in time.
    let _slot = match &state.scrape_slots {
        Some(slots) => match tokio::time::timeout(SCRAPE_SLOT_WAIT, slots.acquire()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => return text_response(StatusCode::SERVICE_UNAVAILABLE, "too many concurrent scrapes\n"),
        },
        None => None,
    };
    let selection = match select(request.uri().query(), &state.scraper.host_collectors()) {
        Ok(selection) => selection,
        Err(message) => {
            log::warn!("bad collect[]/exclude[] query: {message}");
            let mut response = Response::new(Full::new(Bytes::from(format!("{message}\n"))));
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            return response;
        }
    };
    let header = |name| request.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).unwrap_or("");
    // The format, and how to write UTF-8 names (quoted only for a scraper that allows them).
    let exposition = srekit::expfmt::negotiate_exposition(header(ACCEPT));
    let gzipped = accepts_gzip(header(ACCEPT_ENCODING));
    let scraper = state.scraper.clone();
    // Compressed on the scrape thread too: a gzip of a large body would otherwise hold an async worker.
    let scraped = tokio::task::spawn_blocking(move || {
        let body = scraper.scrape_selected(exposition.format, exposition.escaping, &selection);
        match gzipped {
            true => match gzip(&body) {
                Ok(compressed) => (compressed, Some("gzip")),
                Err(_) => (body, None),
            },
            false => (body, None),
        }
    })
    .await;
    let (body, encoding) = match scraped {
        Ok(scraped) => scraped,
        Err(err) => {
            log::error!("scrape failed: {err}");
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "scrape failed\n");
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    let content_type = HeaderValue::from_str(&exposition.content_type())
        .unwrap_or_else(|_| HeaderValue::from_static(exposition.format.content_type()));
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    if let Some(encoding) = encoding {
        response.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    /// The listener's `TCP_DEFER_ACCEPT` in seconds, as the kernel reports it.
    fn deferred_seconds(listener: &TcpListener) -> libc::c_int {
        let mut seconds: libc::c_int = 0;
        let mut size = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid socket descriptor, and a c_int with its size for the kernel to fill in.
        let status = unsafe {
            libc::getsockopt(
                listener.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_DEFER_ACCEPT,
                std::ptr::from_mut(&mut seconds).cast(),
                &mut size,
            )
        };
        assert_eq!(status, 0, "getsockopt: {}", std::io::Error::last_os_error());
        seconds
    }

    #[tokio::test]
    async fn bound_listeners_defer_accepting_until_the_request_arrives() {
        let listener = bind("127.0.0.1:0").await.expect("a free port");
        assert!(deferred_seconds(&listener) > 0, "TCP_DEFER_ACCEPT is not set");
        // A connection that sends its request is still accepted at once.
        let address = listener.local_addr().expect("bound");
        let client = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(address).expect("connect");
            std::io::Write::write_all(&mut stream, b"GET / HTTP/1.0\r\n\r\n").expect("send");
            stream
        });
        let accepted = tokio::time::timeout(Duration::from_secs(30), listener.accept()).await;
        assert!(matches!(accepted, Ok(Ok(_))), "the connection with a request was not accepted");
        drop(client.join());
    }
}
