//! Secret tokens: 256 random bits, handed out once, stored only as their
//! SHA-256 hash; and the CSRF token, an HMAC of what the visitor's cookie
//! binds it to.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random token (43 URL-safe characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether a string has the shape of one of our tokens (so that garbage is
/// refused before any store look-up).
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The CSRF token for a binding (the session or anonymous cookie's value).
pub fn csrf_token(secret: &[u8], binding: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"csrf:");
    mac.update(binding.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether a submitted CSRF token is the one for this binding (constant time).
pub fn csrf_matches(secret: &[u8], binding: &str, submitted: &str) -> bool {
    let expected = csrf_token(secret, binding);
    expected.as_bytes().ct_eq(submitted.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_shaped_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(is_token_shaped(&a));
        assert!(!is_token_shaped("court"));
        assert!(!is_token_shaped(&format!("{}!", &a[..42])));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn csrf_is_bound_to_secret_and_binding() {
        let t = csrf_token(b"secret", "session-1");
        assert!(csrf_matches(b"secret", "session-1", &t));
        assert!(!csrf_matches(b"secret", "session-2", &t));
        assert!(!csrf_matches(b"autre", "session-1", &t));
        assert!(!csrf_matches(b"secret", "session-1", ""));
    }
}
