//! The EHLO reply: the server's domain and greeting text, then its extensions
//! (RFC 5321 §4.1.1.1; [`RuleId::ExtKeyword`] for the `STARTTLS` keyword).
//!
//! [`RuleId::ExtKeyword`]: crate::rules::RuleId::ExtKeyword

use super::Reply;
use crate::error::PeerError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One service extension: an EHLO keyword and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Extension {
    /// The keyword, upper case, e.g. `STARTTLS` or `AUTH`.
    pub keyword: String,
    /// The parameters, e.g. `["PLAIN"]` for `AUTH PLAIN`.
    pub params: Vec<String>,
}

impl Extension {
    /// An extension with parameters.
    pub fn new(keyword: &str, params: &[&str]) -> Self {
        Extension {
            keyword: keyword.to_ascii_uppercase(),
            params: params.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// An extension without parameters.
    pub fn keyword(keyword: &str) -> Self {
        Extension::new(keyword, &[])
    }

    /// Whether the keyword matches `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
    pub fn is_valid_keyword(keyword: &str) -> bool {
        let mut b = keyword.bytes();
        b.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'-')
    }

    /// Whether this is `keyword` (ASCII case ignored).
    pub fn is(&self, keyword: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(keyword)
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keyword)?;
        for p in &self.params {
            write!(f, " {p}")?;
        }
        Ok(())
    }
}

/// A parsed positive EHLO reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EhloReply {
    /// The server's domain (first word of the first line).
    pub domain: String,
    /// The rest of the first line, e.g. "offers a warm hug of welcome".
    pub greeting: Option<String>,
    /// The extensions, one per following line.
    pub extensions: Vec<Extension>,
}

impl EhloReply {
    /// Parses a 250 reply to EHLO into domain, greeting and extensions.
    ///
    /// ```
    /// use starttls_protocol::reply::{parse_reply, EhloReply};
    /// let wire = b"250-mail.imc.org offers a warm hug of welcome\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 DSN\r\n";
    /// let reply = parse_reply(wire).unwrap().complete().unwrap().value;
    /// let ehlo = EhloReply::from_reply(&reply).unwrap();
    /// assert_eq!(ehlo.domain, "mail.imc.org");
    /// assert!(ehlo.has("STARTTLS"));
    /// ```
    pub fn from_reply(reply: &Reply) -> Result<EhloReply, PeerError> {
        let bad = |d: String| PeerError::MalformedReply { detail: d };
        if reply.code != 250 {
            return Err(bad(format!("an EHLO reply is 250, not {}", reply.code)));
        }
        let first = reply.lines.first().map(String::as_str).unwrap_or("");
        let (domain, greeting) = match first.split_once(' ') {
            Some((d, g)) => (d, Some(g.to_string())),
            None => (first, None),
        };
        if domain.is_empty() {
            return Err(bad("the EHLO reply does not start with a domain".into()));
        }
        let mut extensions = Vec::new();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split(' ');
            let keyword = words.next().unwrap_or("");
            if !Extension::is_valid_keyword(keyword) {
                return Err(bad(format!("invalid EHLO keyword {keyword:?}")));
            }
            let params: Vec<String> = words.map(str::to_string).collect();
            if params.iter().any(|p| p.is_empty()) {
                return Err(bad(format!("empty EHLO parameter in {line:?}")));
            }
            extensions.push(Extension {
                keyword: keyword.to_ascii_uppercase(),
                params,
            });
        }
        Ok(EhloReply {
            domain: domain.to_string(),
            greeting,
            extensions,
        })
    }

    /// The 250 reply for this EHLO reply (no enhanced code: RFC 2034 §3, §4 exempt EHLO replies).
    pub fn to_reply(&self) -> Reply {
        let mut first = self.domain.clone();
        if let Some(g) = &self.greeting {
            first.push(' ');
            first.push_str(g);
        }
        let mut lines = vec![first];
        lines.extend(self.extensions.iter().map(|e| e.to_string()));
        Reply {
            code: 250,
            enhanced: None,
            lines,
        }
    }

    /// The extension with this keyword, if advertised.
    pub fn get(&self, keyword: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.is(keyword))
    }

    /// Whether this keyword is advertised.
    pub fn has(&self, keyword: &str) -> bool {
        self.get(keyword).is_some()
    }

    /// Whether `AUTH` is advertised with the `PLAIN` mechanism.
    pub fn offers_auth_plain(&self) -> bool {
        self.get("AUTH")
            .is_some_and(|e| e.params.iter().any(|p| p.eq_ignore_ascii_case("PLAIN")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::parse_reply;

    #[test]
    fn rule_ext_keyword_rfc3207_example_ehlo_reply() {
        let wire = b"250-mail.imc.org offers a warm hug of welcome\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 DSN\r\n";
        let reply = parse_reply(wire).unwrap().complete().unwrap().value;
        let ehlo = EhloReply::from_reply(&reply).unwrap();
        assert_eq!(ehlo.domain, "mail.imc.org");
        assert_eq!(
            ehlo.greeting.as_deref(),
            Some("offers a warm hug of welcome")
        );
        let kws: Vec<_> = ehlo.extensions.iter().map(|e| e.keyword.as_str()).collect();
        assert_eq!(kws, ["8BITMIME", "STARTTLS", "DSN"]);
        assert!(ehlo.get("STARTTLS").unwrap().params.is_empty());
        assert_eq!(ehlo.to_reply().to_bytes(), wire);
    }

    #[test]
    fn ehlo_reply_with_parameters() {
        let wire = b"250-mx.example.net\r\n250-SIZE 10240000\r\n250 AUTH PLAIN LOGIN\r\n";
        let reply = parse_reply(wire).unwrap().complete().unwrap().value;
        let ehlo = EhloReply::from_reply(&reply).unwrap();
        assert_eq!(ehlo.greeting, None);
        assert_eq!(ehlo.get("size").unwrap().params, ["10240000"]);
        assert!(ehlo.offers_auth_plain());
        let bad = parse_reply(b"250-x\r\n250 AUTH=PLAIN\r\n")
            .unwrap()
            .complete()
            .unwrap()
            .value;
        assert!(EhloReply::from_reply(&bad).is_err());
    }
}
