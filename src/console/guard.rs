//! The console's rules for every request, before any page: it must name the console's own
//! address as its `Host` (a page of another site that rebinds its name to 127.0.0.1 is
//! refused), carry the session (the one-time token of the printed address, then the cookie it
//! is exchanged for), and, when it would change something, come from the console's own pages
//! (`Origin`). Every answer carries a strict Content-Security-Policy.

use std::net::SocketAddr;

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
    /// The token is right: set the cookie and send the browser to this address without it.
    SetCookie {
        /// The address asked for, without the token.
        location: String,
    },
    /// Refused: the status and why, for the error page.
    Refuse {
        /// The HTTP status.
        status: u16,
        /// Why, in a sentence for the error page.
        reason: &'static str,
    },
}

/// The console's address and secret, which every request is checked against.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The `Host` values the console answers to (`127.0.0.1:PORT`, and `localhost:PORT` on
    /// loopback).
    hosts: Vec<String>,
    /// The one-time token in the printed address, and the session cookie's value.
    token: String,
}

impl Guard {
    /// A guard for a console bound to `address`, with a fresh random token.
    pub fn new(address: SocketAddr) -> std::io::Result<Guard> {
        let mut bytes = [0u8; 24];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let token = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Guard::with_token(address, token))
    }

    /// A guard with a given token (for tests).
    pub fn with_token(address: SocketAddr, token: String) -> Guard {
        // `SocketAddr` writes an IPv6 address in brackets, as a Host header has it.
        let mut hosts = vec![address.to_string()];
        if address.ip().is_loopback() {
            hosts.push(format!("localhost:{}", address.port()));
        }
        Guard { hosts, token }
    }

    /// The console's address as a browser opens it: with the token, which it exchanges for
    /// the session cookie.
    pub fn address(&self) -> String {
        format!("http://{}/?token={}", self.hosts[0], self.token)
    }

    /// Checks a request.
    pub fn check(&self, method: &Method, uri: &Uri, headers: &HeaderMap) -> Verdict {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
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
        if let Some(given) = query_token(uri) {
            if same(given.as_bytes(), self.token.as_bytes()) {
                // The same address without the token, so it is not left in the history.
                let rest: Vec<&str> =
                    uri.query().unwrap_or("").split('&').filter(|p| !p.starts_with("token=")).collect();
                let location = match rest.join("&") {
                    query if query.is_empty() => uri.path().to_string(),
                    query => format!("{}?{query}", uri.path()),
                };
                return Verdict::SetCookie { location };
            }
            return Verdict::Refuse { status: 401, reason: "this token is not the console's" };
        }
        if cookie_token(headers).is_some_and(|t| same(t.as_bytes(), self.token.as_bytes())) {
            return Verdict::Pass;
        }
        Verdict::Refuse {
            status: 401,
            reason: "open the address `mastery serve` printed (it carries the console's token)",
        }
    }

    /// The `Set-Cookie` value of the session.
    pub fn cookie(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", self.token))
            .expect("the token is hexadecimal")
    }
}

fn query_token(uri: &Uri) -> Option<&str> {
    uri.query()?.split('&').find_map(|pair| pair.strip_prefix("token="))
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
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

    #[test]
    fn the_token_becomes_a_cookie_and_the_cookie_lets_requests_in() {
        let guard = Guard::with_token("127.0.0.1:8080".parse().unwrap(), "abc123".to_string());
        let (m, u, h) = request(Method::GET, "/students?token=abc123", &[("host", "127.0.0.1:8080")]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::SetCookie { location: "/students".to_string() });
        let (m, u, h) = request(Method::GET, "/students?sort=id&token=abc123&q=a", &[("host", "127.0.0.1:8080")]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::SetCookie { location: "/students?sort=id&q=a".to_string() });
        let (m, u, h) =
            request(Method::GET, "/", &[("host", "localhost:8080"), ("cookie", "a=b; mastery_session=abc123")]);
        assert_eq!(guard.check(&m, &u, &h), Verdict::Pass);
        let (m, u, h) = request(Method::GET, "/", &[("host", "127.0.0.1:8080"), ("cookie", "mastery_session=abc124")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 401, .. }));
        let (m, u, h) = request(Method::GET, "/?token=abc", &[("host", "127.0.0.1:8080")]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 401, .. }));
        assert_eq!(guard.cookie().to_str().unwrap(), "mastery_session=abc123; HttpOnly; SameSite=Strict; Path=/");
        assert_eq!(guard.address(), "http://127.0.0.1:8080/?token=abc123");
        let v6 = Guard::with_token("[::1]:8080".parse().unwrap(), "abc123".to_string());
        assert_eq!(v6.address(), "http://[::1]:8080/?token=abc123");
        let (m, u, h) = request(Method::GET, "/", &[("host", "localhost:8080"), ("cookie", "mastery_session=abc123")]);
        assert_eq!(v6.check(&m, &u, &h), Verdict::Pass);
    }

    #[test]
    fn another_host_or_origin_is_refused_even_with_the_cookie() {
        let guard = Guard::with_token("127.0.0.1:8080".parse().unwrap(), "abc123".to_string());
        let cookie = ("cookie", "mastery_session=abc123");
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
        let (m, u, h) = request(Method::GET, "/", &[("host", "localhost:8080"), cookie]);
        assert!(matches!(guard.check(&m, &u, &h), Verdict::Refuse { status: 421, .. }));
    }
}
