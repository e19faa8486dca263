//! HTTP basic authentication credentials, the way Confluent's clients take
//! them (`basic.auth.user.info` = `user:password`): the server checks every
//! request against one pair, the client sends its pair with every request.
//! Both read them from the environment; the password is never printed.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::fmt;

/// A user and its password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    user: String,
    password: String,
}

/// Credentials not in the form `user:password` with a non-empty user.
#[derive(Debug, thiserror::Error)]
#[error("basic-auth credentials must be `user:password` with a non-empty user{0}")]
pub struct BadUserInfo(&'static str);

impl BasicAuth {
    /// Reads `user:password` (the password may hold colons; the user may not).
    pub fn from_user_info(user_info: &str) -> Result<Self, BadUserInfo> {
        let (user, password) = user_info.split_once(':').ok_or(BadUserInfo(" (no colon found)"))?;
        if user.is_empty() {
            return Err(BadUserInfo(""));
        }
        Ok(BasicAuth { user: user.to_owned(), password: password.to_owned() })
    }

    /// The user, which may be logged; the password never is.
    pub fn user(&self) -> &str {
        &self.user
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// Whether an `Authorization` header value carries exactly these
    /// credentials. The comparison takes the same time wherever they differ.
    pub(crate) fn accepts(&self, header: &str) -> bool {
        let Some((scheme, encoded)) = header.trim().split_once(' ') else { return false };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Ok(decoded) = STANDARD.decode(encoded.trim()) else { return false };
        let expected = format!("{}:{}", self.user, self.password);
        constant_time_eq(&decoded, expected.as_bytes())
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth").field("user", &self.user).field("password", &"***").finish()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut differences = a.len() ^ b.len();
    for (i, byte) in b.iter().enumerate() {
        differences |= usize::from(a.get(i).copied().unwrap_or(!byte) ^ byte);
    }
    differences == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_info: &str) -> String {
        format!("Basic {}", STANDARD.encode(user_info))
    }

    #[test]
    fn user_info_splits_at_the_first_colon_and_needs_a_user() {
        let auth = BasicAuth::from_user_info("ingest:pa:ss").unwrap();
        assert_eq!((auth.user(), auth.password()), ("ingest", "pa:ss"));
        assert!(BasicAuth::from_user_info("no-colon").is_err());
        assert!(BasicAuth::from_user_info(":secret").is_err());
    }

    #[test]
    fn only_the_exact_credentials_are_accepted() {
        let auth = BasicAuth::from_user_info("ingest:secret").unwrap();
        assert!(auth.accepts(&header("ingest:secret")));
        assert!(auth.accepts(&format!("basic {}", STANDARD.encode("ingest:secret"))));
        for wrong in ["ingest:Secret", "ingest:secret2", "ingest:secre", "other:secret", ""] {
            assert!(!auth.accepts(&header(wrong)), "{wrong}");
        }
        assert!(!auth.accepts("Bearer abc") && !auth.accepts("Basic !!!") && !auth.accepts(""));
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        let auth = BasicAuth::from_user_info("ingest:hunter2").unwrap();
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
