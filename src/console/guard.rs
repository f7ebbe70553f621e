//! The console's rules for every request, before any page:
//!
//! - it names the console's own address as its one `Host`, and as its target's authority when
//!   it has one (`GET http://other/ HTTP/1.1`): a page of another site that rebinds its name to
//!   127.0.0.1 is refused (421), and so is a request whose headers disagree on where it goes
//!   (two `Host`s, 400);
//! - it carries a session: the one-time token of the printed address is exchanged, once, for
//!   a fresh random session id that lives only in an `HttpOnly`, `SameSite=Strict` cookie;
//!   the token is dead afterwards, so an address left in a terminal's scrollback, a browser's
//!   history or a process list opens nothing, and the session id never appears in an
//!   address or a log;
//! - when it would change something, it comes from the console's own pages (`Origin`).
//!
//! Every answer carries a strict Content-Security-Policy.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};

/// The cookie that carries the session once the token has been shown.
pub const COOKIE: &str = "mastery_session";

/// The Content-Security-Policy of every answer: the console's own styles, script, frames and
/// requests only (no inline script, nothing from elsewhere).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; \
     frame-src 'self'; object-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'";

/// What the guard decides about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on to the page.
    Pass,
    /// The token is right (and now spent): set the session's cookie and send the browser to
    /// this address without the token.
    SetCookie {
        /// The address asked for, without the token.
        location: String,
        /// The `Set-Cookie` value of the new session.
        cookie: HeaderValue,
    },
    /// Refused: the status and why, for the error page.
    Refuse {
        /// The HTTP status.
        status: u16,
        /// Why, in a sentence for the error page.
        reason: &'static str,
    },
}

/// The console's address and secrets, which every request is checked against. Clones share
/// the same token and sessions.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The `Host` values the console answers to (`127.0.0.1:PORT`, and `localhost:PORT` on
    /// loopback).
    hosts: Vec<String>,
    /// The token of the printed address (kept to print it), and the secrets that let a
    /// request in.
    token: String,
    secrets: Arc<Mutex<Secrets>>,
}

/// What lets a request in: the token until it is spent, then the sessions it opened.
#[derive(Debug, Default)]
struct Secrets {
    /// Whether the token was exchanged for a session already.
    spent: bool,
    /// The ids of the open sessions.
    sessions: HashSet<String>,
}

/// A fresh random secret: 32 bytes, as hex.
fn secret() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(crate::digest::hex(&bytes))
}

impl Guard {
    /// A guard for a console bound to `address`, with a fresh random token.
    pub fn new(address: SocketAddr) -> std::io::Result<Guard> {
        Ok(Guard::with_token(address, secret()?))
    }

    /// A guard with a given token (for tests).
    pub fn with_token(address: SocketAddr, token: String) -> Guard {
        // `SocketAddr` writes an IPv6 address in brackets, as a Host header has it.
        let mut hosts = vec![address.to_string()];
        if address.ip().is_loopback() {
            hosts.push(format!("localhost:{}", address.port()));
        }
        Guard { hosts, token, secrets: Arc::default() }
    }

    /// The console's address as a browser opens it: with the token, which it exchanges, once,
    /// for a session.
    pub fn address(&self) -> String {
        format!("http://{}/?token={}", self.hosts[0], self.token)
    }

    fn is_ours(&self, authority: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(authority))
    }

    /// Checks a request.
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Verdict {
        if headers.get_all(header::HOST).iter().count() > 1 {
            return Verdict::Refuse {
                status: 400,
                reason: "this request names its host twice; a browser never does, so it is refused",
            };
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let target = uri.authority().map(|a| a.as_str());
        if !self.is_ours(host) || target.is_some_and(|target| !self.is_ours(target)) {
            return Verdict::Refuse {
                status: 421,
                reason: "this request names another host than the console's address (a page of another site may be trying to reach it)",
            };
        }
        if !matches!(*method, Method::GET | Method::HEAD) {
            let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
            let own = origin.is_some_and(|o| self.hosts.iter().any(|h| o.eq_ignore_ascii_case(&format!("http://{h}"))));
            if !own {
                return Verdict::Refuse {
                    status: 403,
                    reason: "a change can only be asked for from the console's own pages",
                };
            }
        }
        let mut secrets = self.secrets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(given) = query_token(uri) {
            if !same(given.as_bytes(), self.token.as_bytes()) {
                return Verdict::Refuse { status: 401, reason: "this token is not the console's" };
            }
            if secrets.spent {
                return Verdict::Refuse {
                    status: 401,
                    reason: "this address was used already: its token opens the console once, in one browser (start `mastery serve` again for a new one)",
                };
            }
            let Ok(session) = secret() else {
                return Verdict::Refuse { status: 500, reason: "the system gave no random numbers for a session" };
            };
            secrets.spent = true;
            let cookie = HeaderValue::from_str(&format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/"))
                .expect("the session id is hexadecimal");
            secrets.sessions.insert(session);
            // The same address without the token, so it is not left in the history.
            let rest: Vec<&str> = uri.query().unwrap_or("").split('&').filter(|p| !p.starts_with("token=")).collect();
            let location = match rest.join("&") {
                query if query.is_empty() => uri.path().to_string(),
                query => format!("{}?{query}", uri.path()),
            };
            return Verdict::SetCookie { location, cookie };
        }
        let open = cookie_session(headers)
            .is_some_and(|given| secrets.sessions.iter().any(|session| same(given.as_bytes(), session.as_bytes())));
        if open {
            return Verdict::Pass;
        }
        Verdict::Refuse {
            status: 401,
            reason: "open the address `mastery serve` printed (it carries the console's one-time token)",
        }
    }
}

fn query_token(uri: &Uri) -> Option<&str> {
    uri.query()?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

fn cookie_session(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// Compares two secrets in time that does not depend on where they first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, uri: &str, headers: &[(&str, &str)]) -> (Method, Uri, HeaderMap) {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        (method, uri.parse().unwrap(), map)
    }

    /// The session a guard opens for its token, as the cookie's value.
    fn open(guard: &Guard, uri: &str) -> (String, String) {
        let (m, u, h) = request(Method::GET, uri, &[("host", "127.0.0.1:8080")]);
        let Verdict::SetCookie { location, cookie } = guard.check(&m, &u, &h) else { panic!("no session") };
        let cookie = cookie.to_str().unwrap().to_string();
        let session = cookie.strip_prefix("mastery_session=").unwrap().split(';').next().unwrap().to_string();
        assert_eq!(cookie, format!("mastery_session={session}; HttpOnly; SameSite=Strict; Path=/"));
        (location, session)
    }

    #[test]
    fn the_token_opens_one_session_once_and_only_the_session_lets_requests_in() {
        let guard = Guard::with_token("127.0.0.1:8080".parse().unwrap(), "abc123".to_string());
        assert_eq!(guard.address(), "http://127.0.0.1:8080/?token=abc123");
        let (m, u, h) = request(Method::GET, "/?token=abc", &[("host", "127.0.0.1:8080")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 401, .. }));
        let (location, session) = open(&guard, "/students?sort=id&token=abc123&q=a");
        assert_eq!(location, "/students?sort=id&q=a");
        assert_eq!(session.len(), 64);
        assert!(!session.contains("abc123"), "the session is not the token");
        let cookie = format!("a=b; mastery_session={session}");
        let (m, u, h) = request(Method::GET, "/", &[("host", "localhost:8080"), ("cookie", &cookie)]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::Pass);
        // The token is spent: shown again, it opens nothing, and it is no session either.
        let (m, u, h) = request(Method::GET, "/?token=abc123", &[("host", "127.0.0.1:8080")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 401, .. }));
        let (m, u, h) = request(Method::GET, "/", &[("host", "127.0.0.1:8080"), ("cookie", "mastery_session=abc123")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 401, .. }));
        // A clone shares the session (the router's and the server's copies).
        let (m, u, h) = request(Method::GET, "/", &[("host", "127.0.0.1:8080"), ("cookie", &cookie)]);
        assert_eq!(guard.clone().check(&m, &u, &h), Verdict::Pass);
        let v6 = Guard::with_token("[::1]:8080".parse().unwrap(), "abc123".to_string());
        assert_eq!(v6.address(), "http://[::1]:8080/?token=abc123");
    }

    #[test]
    fn a_repeated_host_or_a_target_naming_another_host_is_refused() {
        let guard = Guard::with_token("127.0.0.1:8080".parse().unwrap(), "abc123".to_string());
        let (_, session) = open(&guard, "/?token=abc123");
        let cookie = format!("mastery_session={session}");
        let cookie = ("cookie", cookie.as_str());
        let (m, u, h) = request(Method::GET, "/", &[("host", "127.0.0.1:8080"), ("host", "evil.example"), cookie]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 400, .. }));
        let (m, u, h) = request(Method::GET, "http://evil.example/", &[("host", "127.0.0.1:8080"), cookie]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 421, .. }));
        let (m, u, h) = request(Method::GET, "http://127.0.0.1:8080/", &[("host", "127.0.0.1:8080"), cookie]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::Pass);
    }

    #[test]
    fn another_host_or_origin_is_refused_even_with_the_cookie() {
        let guard = Guard::with_token("127.0.0.1:8080".parse().unwrap(), "abc123".to_string());
        let (_, session) = open(&guard, "/?token=abc123");
        let cookie = format!("mastery_session={session}");
        let cookie = ("cookie", cookie.as_str());
        let (m, u, h) = request(Method::GET, "/", &[("host", "evil.example:8080"), cookie]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 421, .. }));
        let (m, u, h) =
            request(Method::POST, "/", &[("host", "127.0.0.1:8080"), cookie, ("origin", "http://evil.example")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 403, .. }));
        let (m, u, h) = request(Method::POST, "/", &[("host", "127.0.0.1:8080"), cookie]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 403, .. }));
        let (m, u, h) =
            request(Method::POST, "/", &[("host", "127.0.0.1:8080"), cookie, ("origin", "http://127.0.0.1:8080")]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::Pass);
        // A console bound to another address answers only to that one.
        let guard = Guard::with_token("192.168.1.5:8080".parse().unwrap(), "abc123".to_string());
        let (m, u, h) = request(Method::GET, "/?token=abc123", &[("host", "localhost:8080")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 421, .. }));
    }
}
