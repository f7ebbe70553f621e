//! A polite client for a records API: OAuth 2.0 client credentials (RFC 6749 §4.4, the
//! secret sent with HTTP Basic as §2.3.1 asks), pages read by `limit` and `offset` until the
//! `X-Total-Count` header's total, and retries on 429 and 5xx that wait as the server asks
//! (`Retry-After`) or longer each time.

use std::time::{Duration, Instant};

use base64::Engine;

use super::{Event, PullError};

/// How often and how long to wait before trying a request again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries of one request after the first.
    pub retries: u32,
    /// The wait before the first retry; each further wait is twice the one before.
    pub first_wait: Duration,
    /// The longest wait, whatever `Retry-After` asks.
    pub longest_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy { retries: 5, first_wait: Duration::from_secs(1), longest_wait: Duration::from_secs(120) }
    }
}

/// Who the client is to the token endpoint.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The token endpoint.
    pub token_url: String,
    /// The client id the district issued.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// The scopes asked for, separated by spaces.
    pub scope: String,
}

/// An access token and when to stop using it.
struct Token {
    value: String,
    renew_after: Option<Instant>,
}

/// One page of a collection.
pub struct Page {
    /// The response body.
    pub body: Vec<u8>,
    /// The collection's size, from `X-Total-Count`.
    pub total: Option<u64>,
}

/// The largest response body read: a page of a thousand results is well under a megabyte.
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// A session with one API.
pub struct Client {
    agent: ureq::Agent,
    credentials: Credentials,
    policy: RetryPolicy,
    token: Option<Token>,
}

/// What became of one try of a request.
enum Try {
    Done(ureq::http::Response<ureq::Body>),
    /// Worth another try, after the wait the server asked for (if it did).
    Again {
        reason: String,
        asked: Option<Duration>,
    },
}

impl Client {
    /// A client that has not yet asked for a token.
    pub fn new(credentials: Credentials, policy: RetryPolicy) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(300)))
            .timeout_connect(Some(Duration::from_secs(30)))
            .user_agent(concat!("mastery/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client { agent, credentials, policy, token: None }
    }

    /// A fresh access token from the token endpoint.
    fn fetch_token(&mut self, each: &mut dyn FnMut(Event)) -> Result<(), PullError> {
        let url = self.credentials.token_url.clone();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_encode(&self.credentials.client_id),
            form_encode(&self.credentials.client_secret)
        ));
        let scope = self.credentials.scope.clone();
        let response = self.with_retries(&url, each, |agent| {
            agent
                .post(&url)
                .header("Authorization", format!("Basic {basic}"))
                .header("Accept", "application/json")
                .send_form([("grant_type", "client_credentials"), ("scope", scope.as_str())])
        })?;
        let status = response.status().as_u16();
        let body = read_body(response, &url)?;
        if status == 400 || status == 401 || status == 403 {
            let error = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(PullError::new(
                format!("the token endpoint {url} refused the client id and secret ({error})"),
                "check the client id and the secret file against what the district's OneRoster provider issued, and --token-url",
            ));
        }
        if !(200..300).contains(&status) {
            return Err(PullError::new(
                format!("the token endpoint {url} answered HTTP {status}"),
                "check --token-url; the provider's documentation names its token endpoint",
            ));
        }
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            PullError::new(
                format!("the token endpoint {url} answered something other than JSON: {e}"),
                "check --token-url",
            )
        })?;
        let Some(value) = answer["access_token"].as_str().filter(|t| !t.is_empty()) else {
            return Err(PullError::new(format!("the token endpoint {url} gave no access_token"), "check --token-url"));
        };
        // Renewed a little before it runs out, so no request is sent with a token on its last second.
        let renew_after = answer["expires_in"]
            .as_u64()
            .map(|seconds| Instant::now() + Duration::from_secs(seconds.saturating_sub(30).max(seconds / 2)));
        self.token = Some(Token { value: value.to_string(), renew_after });
        each(Event::Token);
        Ok(())
    }

    /// The current token, renewed when it is due.
    fn token(&mut self, each: &mut dyn FnMut(Event)) -> Result<String, PullError> {
        let due = match &self.token {
            None => true,
            Some(token) => token.renew_after.is_some_and(|at| Instant::now() >= at),
        };
        if due {
            self.fetch_token(each)?;
        }
        Ok(self.token.as_ref().map(|t| t.value.clone()).unwrap_or_default())
    }

    /// One page of the collection at `url`.
    pub fn page(&mut self, url: &str, limit: u64, offset: u64, each: &mut dyn FnMut(Event)) -> Result<Page, PullError> {
        let mut renewed = false;
        loop {
            let token = self.token(each)?;
            let (limit_text, offset_text) = (limit.to_string(), offset.to_string());
            let response = self.with_retries(url, each, |agent| {
                agent
                    .get(url)
                    .query("limit", &limit_text)
                    .query("offset", &offset_text)
                    .header("Authorization", format!("Bearer {token}"))
                    .header("Accept", "application/json")
                    .call()
            })?;
            let status = response.status().as_u16();
            // A token the server no longer takes (expired early, or revoked): one new token, then
            // the request again; refused twice is the server's answer.
            if status == 401 && !renewed {
                renewed = true;
                self.token = None;
                continue;
            }
            let total = response
                .headers()
                .get("X-Total-Count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let body = read_body(response, url)?;
            return match status {
                200..=299 => Ok(Page { body, total }),
                401 | 403 => Err(PullError::new(
                    format!("{url} refused the access token (HTTP {status})"),
                    "the client needs read access to rostering, demographics and gradebook (the scopes roster-core.readonly, roster-demographics.readonly and gradebook.readonly); ask the district's OneRoster administrator",
                )),
                404 => Err(PullError::new(
                    format!("{url} does not exist on this server (HTTP 404)"),
                    "give --url the address before /ims/oneroster/, as the provider's documentation states it",
                )),
                _ => Err(PullError::new(
                    format!("{url} answered HTTP {status}: {}", excerpt(&body)),
                    "the server refused the request; try again later, or ask the district's OneRoster administrator",
                )),
            };
        }
    }

    /// Sends a request until it is answered with something other than 429 or 5xx, or the
    /// retries run out.
    fn with_retries(
        &self,
        url: &str,
        each: &mut dyn FnMut(Event),
        send: impl Fn(&ureq::Agent) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, PullError> {
        let mut wait = self.policy.first_wait;
        let mut attempt = 0;
        loop {
            let outcome = match send(&self.agent) {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if status == 429 || (500..600).contains(&status) {
                        let asked = response
                            .headers()
                            .get("Retry-After")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs);
                        Try::Again { reason: format!("HTTP {status}"), asked }
                    } else {
                        Try::Done(response)
                    }
                }
                Err(error @ (ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed)) => {
                    Try::Again { reason: error.to_string(), asked: None }
                }
                Err(ureq::Error::HostNotFound) => {
                    return Err(PullError::new(
                        format!("the server of {url} is not known (no such host)"),
                        "check the address given to --url",
                    ));
                }
                Err(error) => return Err(PullError::new(format!("{url} could not be read: {error}"), "check --url")),
            };
            match outcome {
                Try::Done(response) => return Ok(response),
                Try::Again { reason, asked } => {
                    if attempt == self.policy.retries {
                        return Err(PullError::new(
                            format!("{url} failed {} times, the last with {reason}", attempt + 1),
                            "the server is down or overloaded; try again later (the previous snapshot is kept)",
                        ));
                    }
                    let pause = asked.unwrap_or(wait).min(self.policy.longest_wait);
                    each(Event::Retry { url: url.to_string(), reason, wait: pause });
                    std::thread::sleep(pause);
                    wait = (wait * 2).min(self.policy.longest_wait);
                    attempt += 1;
                }
            }
        }
    }
}

/// The body of a response, within [`MAX_BODY`].
fn read_body(mut response: ureq::http::Response<ureq::Body>, url: &str) -> Result<Vec<u8>, PullError> {
    response.body_mut().with_config().limit(MAX_BODY).read_to_vec().map_err(|e| {
        PullError::new(
            format!("the answer from {url} could not be read: {e}"),
            "try again; the previous snapshot is kept",
        )
    })
}

/// The start of a body, for an error message.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// `application/x-www-form-urlencoded` encoding of a client id or secret, as RFC 6749 §2.3.1
/// asks before the two are joined for HTTP Basic.
fn form_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => encoded.push(byte as char),
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_secret_is_form_encoded_before_basic() {
        assert_eq!(form_encode("abc-DEF_1.2*"), "abc-DEF_1.2*");
        assert_eq!(form_encode("a b:c/é"), "a+b%3Ac%2F%C3%A9");
    }

    #[test]
    fn an_error_body_is_cut_short() {
        let long = "x".repeat(500);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), 201);
        assert_eq!(excerpt(b"  short \n"), "short");
    }
}
