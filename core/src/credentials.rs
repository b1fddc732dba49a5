//! Credentials (DESIGN §6): how usernames are compared, how passwords are hashed and
//! verified, and how one-time link tokens are made, stored and checked.
//!
//! # Usernames
//!
//! A username is normally an e-mail address. [`normalize_username`] trims it, puts it in
//! Unicode NFC (so a composed and a decomposed `é` are the same name), lower-cases the
//! domain (everything after the last `@`) and lower-cases the ASCII letters of the local
//! part. Non-ASCII letters of the local part are **not** case-folded: `Ä@x.test` and
//! `ä@x.test` are different names, as the mail system may treat them.
//!
//! Two usernames that only *look* alike are refused rather than silently merged: every
//! username also has a [`username_skeleton`] (NFKC, full lower case, the dotless `ı` and
//! the long `ſ` folded to `i`/`s`, combining marks removed), and a new username whose
//! skeleton equals an existing one's is `email_in_use`. So the Kelvin sign `K` (U+212A)
//! cannot shadow `k`, nor `ı` shadow `i`. For ASCII names the skeleton is the name itself.
//!
//! # Passwords
//!
//! Passwords are 8 to 1024 characters after NFKC normalisation, never truncated, and are
//! stored only as Argon2id PHC strings with the OWASP parameters (m = 19 MiB, t = 2,
//! p = 1) and a 16-byte random salt. Verification refuses stored hashes whose cost
//! parameters exceed [`MAX_M_COST_KIB`], [`MAX_T_COST`] or [`MAX_P_COST`] (a tampered
//! snapshot must not make a login allocate gigabytes), and reports when a stored hash is
//! weaker than the current parameters so the caller can re-hash it.
//!
//! # Tokens
//!
//! Invitation and password-reset tokens are 32 bytes (256 bits) from the operating
//! system's random source, written as URL-safe base64 without padding (43 characters).
//! Only their SHA-256 digest is stored; a presented token is compared with the stored
//! digests in constant time.

use std::fmt;
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::{Error, ErrorCode, Result};

/// The shortest password accepted, in characters (after NFKC).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted, in characters (after NFKC); longer ones are refused,
/// never truncated.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest username accepted, in characters.
pub const MAX_USERNAME_CHARS: usize = 254;

/// Argon2id memory cost used for new hashes, in KiB (OWASP: 19 MiB).
pub const M_COST_KIB: u32 = 19 * 1024;
/// Argon2id iterations used for new hashes (OWASP: 2).
pub const T_COST: u32 = 2;
/// Argon2id parallelism used for new hashes (OWASP: 1).
pub const P_COST: u32 = 1;
/// The largest memory cost a stored hash may ask for (256 MiB).
pub const MAX_M_COST_KIB: u32 = 256 * 1024;
/// The largest iteration count a stored hash may ask for.
pub const MAX_T_COST: u32 = 16;
/// The largest parallelism a stored hash may ask for.
pub const MAX_P_COST: u32 = 8;

// ---------------------------------------------------------------------------------------
// Usernames.
// ---------------------------------------------------------------------------------------

/// The normalised form of a username (see the module documentation), or `invalid_input`
/// when it is empty, too long, or contains whitespace or control characters.
pub fn normalize_username(raw: &str) -> Result<String> {
    let trimmed: String = raw.trim().nfc().collect();
    if trimmed.is_empty() {
        return Err(Error::invalid_input("a username must not be empty"));
    }
    if trimmed.chars().count() > MAX_USERNAME_CHARS {
        return Err(Error::invalid_input(format!(
            "a username is at most {MAX_USERNAME_CHARS} characters"
        )));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid_input(
            "a username must not contain spaces or control characters",
        ));
    }
    Ok(match trimmed.rfind('@') {
        Some(at) => {
            let (local, domain) = trimmed.split_at(at);
            format!("{}{}", local.to_ascii_lowercase(), domain.to_lowercase())
        }
        None => trimmed.to_ascii_lowercase(),
    })
}

/// The look-alike skeleton of a normalised username: NFKC, full lower case, `ı`→`i`,
/// `ſ`→`s`, `ς`→`σ`, combining marks removed (after NFKD). Two usernames with the same
/// skeleton are the same account as far as uniqueness is concerned.
pub fn username_skeleton(username: &str) -> String {
    if username.is_ascii() {
        return username.to_ascii_lowercase();
    }
    let lowered: String = username.nfkc().collect::<String>().to_lowercase();
    lowered
        .chars()
        .map(|c| match c {
            'ı' => 'i',
            'ſ' => 's',
            'ς' => 'σ',
            c => c,
        })
        .collect::<String>()
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// Whether a normalised username is an e-mail address: one `@`, a non-empty local part,
/// and a domain with a dot that neither starts nor ends it.
pub fn is_email(username: &str) -> bool {
    let mut parts = username.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !username.chars().any(char::is_whitespace)
}

// ---------------------------------------------------------------------------------------
// Passwords.
// ---------------------------------------------------------------------------------------

/// A password as the engine receives it. Its `Debug` never shows the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Password {
        Password(text.into())
    }

    /// The NFKC form that is hashed, or `invalid_input` when it is too short or too long.
    fn normalized(&self) -> Result<String> {
        // Bound the work before normalising: 1024 characters are at most 4096 bytes.
        if self.0.len() > MAX_PASSWORD_CHARS * 4 {
            return Err(too_long());
        }
        let n: String = self.0.nfkc().collect();
        let chars = n.chars().count();
        if chars > MAX_PASSWORD_CHARS {
            return Err(too_long());
        }
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::invalid_input(format!(
                "a password needs at least {MIN_PASSWORD_CHARS} characters (DESIGN §6)"
            )));
        }
        Ok(n)
    }
}

fn too_long() -> Error {
    Error::invalid_input(format!(
        "a password is at most {MAX_PASSWORD_CHARS} characters (DESIGN §6); it is never truncated"
    ))
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Password {
        Password::new(text)
    }
}

fn current_params() -> Result<Params> {
    Params::new(M_COST_KIB, T_COST, P_COST, None)
        .map_err(|_| Error::new(ErrorCode::Internal, "the Argon2id parameters are invalid"))
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (checked: 8–1024 characters) to an Argon2id PHC string.
pub(crate) fn hash_password(password: &Password) -> Result<String> {
    let text = password.normalized()?;
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    hash_with_salt(&text, &salt)
}

fn hash_with_salt(text: &str, salt: &[u8]) -> Result<String> {
    hasher(current_params()?)
        .hash_password_with_salt(text.as_bytes(), salt)
        .map(|h| h.to_string())
        .map_err(|_| Error::new(ErrorCode::Internal, "password hashing failed"))
}

/// What verifying a password against a stored hash found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verified {
    /// Wrong password, or a stored hash that is not usable.
    No,
    /// Right password; the stored hash uses the current parameters or stronger.
    Yes,
    /// Right password; the stored hash is weaker than the current parameters.
    YesRehash,
}

/// Verifies a password against a stored PHC string. A hash that is not Argon2id, or whose
/// cost parameters exceed the caps, never verifies. A password outside 8–1024 characters
/// is still run through a verification (so refusing it takes as long) and never verifies.
pub(crate) fn verify_password(password: &Password, stored: &str) -> Verified {
    let text = password.normalized();
    let Ok(hash) = PasswordHash::new(stored) else {
        dummy_verify();
        return Verified::No;
    };
    let Ok(params) = Params::try_from(&hash) else {
        dummy_verify();
        return Verified::No;
    };
    if hash.algorithm.as_str() != "argon2id"
        || params.m_cost() > MAX_M_COST_KIB
        || params.t_cost() > MAX_T_COST
        || params.p_cost() > MAX_P_COST
    {
        dummy_verify();
        return Verified::No;
    }
    let bytes = match &text {
        Ok(t) => t.as_bytes(),
        Err(_) => b"\0 password outside the accepted length",
    };
    let ok = hasher(params.clone()).verify_password(bytes, &hash).is_ok() && text.is_ok();
    match ok {
        false => Verified::No,
        true if params.m_cost() < M_COST_KIB
            || params.t_cost() < T_COST
            || params.p_cost() < P_COST =>
        {
            Verified::YesRehash
        }
        true => Verified::Yes,
    }
}

/// A verification that always fails and costs what a real one costs, for unknown
/// usernames (DESIGN §6: a login's outcome and timing do not reveal whether a username
/// exists).
pub(crate) fn dummy_verify() {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_with_salt("dummy password", b"clinic-portal-dummy").ok());
    if let Some(stored) = dummy {
        if let Ok(hash) = PasswordHash::new(stored) {
            let _ = hasher(Params::default()).verify_password(b"not the dummy password", &hash);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tokens.
// ---------------------------------------------------------------------------------------

/// A one-time link token (invitation or password reset). Its `Debug` never shows it; read
/// it with [`SecretToken::expose`] to put it in the link the host sends.
#[derive(Clone, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// A fresh token: 32 bytes from the operating system's random source, URL-safe base64.
    pub(crate) fn generate() -> Result<SecretToken> {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes)?;
        Ok(SecretToken(base64_url(&bytes)))
    }

    /// Wraps a token the user presented.
    pub fn new(text: impl Into<String>) -> SecretToken {
        SecretToken(text.into())
    }

    /// The token text, for the link the host sends.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest that is stored in its place, as lower-case hex.
    pub(crate) fn digest(&self) -> String {
        digest_hex(self.0.trim())
    }
}

impl PartialEq for SecretToken {
    fn eq(&self, other: &SecretToken) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken([redacted])")
    }
}

impl From<&str> for SecretToken {
    fn from(text: &str) -> SecretToken {
        SecretToken::new(text)
    }
}

/// SHA-256 of a text, as lower-case hex.
pub(crate) fn digest_hex(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in d.iter() {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether two stored digests are equal, in constant time.
pub(crate) fn digest_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| {
        Error::new(
            ErrorCode::Internal,
            "the operating system's random source failed",
        )
    })
}

/// URL-safe base64 without padding (RFC 4648 §5).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = chunk.len() + 1;
        for i in 0..sextets {
            let ix = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[ix as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_url_matches_rfc_4648_vectors() {
        assert_eq!(base64_url(b""), "");
        assert_eq!(base64_url(b"f"), "Zg");
        assert_eq!(base64_url(b"fo"), "Zm8");
        assert_eq!(base64_url(b"foo"), "Zm9v");
        assert_eq!(base64_url(b"foob"), "Zm9vYg");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(SecretToken::generate().map(|t| t.0.len()).ok(), Some(43));
    }

    #[test]
    fn usernames_normalise_and_look_alikes_share_a_skeleton() {
        assert_eq!(
            normalize_username("  Ann.Lee@Example.COM ").ok().as_deref(),
            Some("ann.lee@example.com")
        );
        assert_eq!(
            normalize_username("Ä@X.test").ok().as_deref(),
            Some("Ä@x.test")
        );
        assert_eq!(username_skeleton("\u{212A}im@x.test"), "kim@x.test");
        assert_eq!(username_skeleton("\u{131}da@x.test"), "ida@x.test");
        assert!(normalize_username(" ").is_err());
        assert!(normalize_username("a b@x.test").is_err());
        assert!(is_email("a@b.test"));
        assert!(!is_email("frontdesk-7"));
        assert!(!is_email("a@b@c.test"));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
