//! Credentials (docs/accounts.md): how usernames are compared, how passwords are hashed and
//! verified, and how one-time link tokens are made, stored and checked.
//!
//! # Usernames
//!
//! A username is normally an e-mail address. [`normalize_username`] checks and normalises
//! it; a username that fails a check is `invalid_input` and nothing is created:
//!
//! 1. **Length.** At most [`MAX_USERNAME_CHARS`] characters (and at most four times as many
//!    bytes before any normalisation, so the work is bounded), before and after
//!    normalisation; not empty after trimming.
//! 2. **Characters.** Surrounding white space is trimmed and the text is put in Unicode NFC
//!    (a composed and a decomposed `é` are the same name). Then no white space, no control
//!    character and no invisible or formatting character is accepted anywhere: the
//!    default-ignorable code points and format characters (general category Cf) — zero-width
//!    space U+200B, zero-width (non-)joiner U+200C/U+200D, soft hyphen U+00AD, word joiner
//!    U+2060, byte order mark U+FEFF, the bidirectional marks, embeddings, overrides and
//!    isolates (U+200E/U+200F, U+202A–U+202E, U+2066–U+2069, U+061C), variation selectors,
//!    tags… Printable ASCII is accepted; every other character must be allowed in
//!    identifiers by the General Security Profile of Unicode TR #39 (so no symbols, emoji,
//!    compatibility forms such as full-width letters, nor characters
//!    of obsolete or limited-use scripts).
//! 3. **One script per part.** The local part (before the last `@`) and each label of the
//!    domain must each be *highly restrictive* in the sense of TR #39: all its letters from
//!    one script, or Latin with Han and Japanese kana or Korean hangul. Latin mixed with
//!    Cyrillic or Greek (`pаypal` with a Cyrillic `а`) is refused. ASCII punctuation and
//!    digits belong to every script.
//! 4. **Case and domain.** The ASCII letters of the local part are lower-cased; non-ASCII
//!    letters of the local part are **not** case-folded (`Ä@x.test` and `ä@x.test` are
//!    different names, as the mail system may treat them — and the look-alike rule below
//!    refuses the second one). The domain (after the last `@`) is converted with IDNA
//!    (UTS #46, STD3 host-name rules, DNS label and name lengths) to its lower-case ASCII
//!    form (`Bücher.Example` → `xn--bcher-kva.example`), and a trailing root dot is removed
//!    (`a@example.com.` is `a@example.com`).
//!
//! Two usernames that only *look* alike are refused rather than silently merged: every
//! username also has a [`username_skeleton`] (the TR #39 confusable skeleton of its NFKC,
//! lower-cased form, with the domain in Unicode, lower-cased again), and a new username
//! whose skeleton equals an existing one's is `email_in_use`. So an all-Cyrillic `асе`
//! cannot shadow `ace`, the dotless `ı` cannot shadow `i`, nor `rn` shadow `m`.
//!
//! Usernames and account ids are separate namespaces: see [`crate::accounts`].
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
use unicode_normalization::UnicodeNormalization;
use unicode_security::{
    skeleton, GeneralSecurityProfile, RestrictionLevel, RestrictionLevelDetection,
};

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
/// when it is empty, too long, contains white space, control, invisible or formatting
/// characters or characters TR #39 does not allow in identifiers, mixes scripts within
/// its local part or a domain label, or has a domain that IDNA refuses.
pub fn normalize_username(raw: &str) -> Result<String> {
    // Bound the work before normalising: MAX_USERNAME_CHARS characters are at most four
    // times as many bytes.
    if raw.len() > MAX_USERNAME_CHARS * 4 {
        return Err(username_too_long());
    }
    // NFC leaves ASCII as it is.
    let trimmed: String = match raw.trim() {
        ascii if ascii.is_ascii() => ascii.to_owned(),
        other => other.nfc().collect(),
    };
    if trimmed.is_empty() {
        return Err(Error::invalid_input("a username must not be empty"));
    }
    if trimmed.chars().count() > MAX_USERNAME_CHARS {
        return Err(username_too_long());
    }
    for c in trimmed.chars() {
        if c.is_whitespace() || c.is_control() {
            return Err(Error::invalid_input(
                "a username must not contain spaces or control characters",
            ));
        }
        if is_invisible(c) {
            return Err(Error::invalid_input(format!(
                "a username must not contain invisible or formatting characters such as \
                 U+{:04X} (zero-width, joiner, soft hyphen, byte order mark or text \
                 direction characters)",
                u32::from(c)
            )));
        }
        if !c.is_ascii() && !c.identifier_allowed() {
            return Err(Error::invalid_input(format!(
                "character U+{:04X} is not allowed in a username (Unicode TR #39 general \
                 security profile)",
                u32::from(c)
            )));
        }
    }
    let normalized = match trimmed.rfind('@') {
        Some(at) => {
            let (local, domain) = trimmed.split_at(at);
            check_one_script(local, "the part before the @")?;
            format!(
                "{}@{}",
                local.to_ascii_lowercase(),
                ascii_domain(&domain[1..])?
            )
        }
        None => {
            check_one_script(&trimmed, "a username")?;
            trimmed.to_ascii_lowercase()
        }
    };
    if normalized.chars().count() > MAX_USERNAME_CHARS {
        return Err(username_too_long());
    }
    Ok(normalized)
}

fn username_too_long() -> Error {
    Error::invalid_input(format!(
        "a username is at most {MAX_USERNAME_CHARS} characters"
    ))
}

/// Whether a character is invisible or only formats text: a default-ignorable code point
/// (which includes every bidirectional control) or another format character (Cf).
fn is_invisible(c: char) -> bool {
    // Default_Ignorable_Code_Point (DerivedCoreProperties.txt) and the remaining Cf
    // characters (UnicodeData.txt); none of them is allowed in identifiers by TR #39
    // except U+200C/U+200D, which a username must not hide either.
    const RANGES: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1345F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];
    let c = u32::from(c);
    RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// `invalid_input` unless the letters of `part` are highly restrictive in the sense of
/// TR #39 (one script, or Latin with Han and kana or hangul). ASCII punctuation is left out:
/// it is common to every script.
fn check_one_script(part: &str, what: &str) -> Result<()> {
    // Visible ASCII alone is the most restrictive level there is (TR #39 "ASCII-only").
    if part.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(());
    }
    let letters: String = part.chars().filter(|c| !c.is_ascii_punctuation()).collect();
    if letters.as_str().detect_restriction_level() <= RestrictionLevel::HighlyRestrictive {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "{what} mixes letters of different scripts (such as Latin with Cyrillic or \
             Greek) that can look alike; a username uses one script per part (Unicode \
             TR #39, highly restrictive)"
        )))
    }
}

/// The domain of an e-mail address in its lower-case ASCII (IDNA) form without a trailing
/// dot; each label must be single-script in its Unicode form.
fn ascii_domain(domain: &str) -> Result<String> {
    if domain.is_empty() {
        return Ok(String::new());
    }
    let bad = || {
        Error::invalid_input(format!(
            "the domain `{domain}` is not a valid domain name (IDNA, UTS #46)"
        ))
    };
    if plain_ascii_domain(domain) {
        return Ok(domain.to_owned());
    }
    let ascii = idna::uts46::Uts46::new()
        .to_ascii(
            domain.as_bytes(),
            idna::uts46::AsciiDenyList::STD3,
            idna::uts46::Hyphens::Allow,
            idna::uts46::DnsLength::VerifyAllowRootDot,
        )
        .map_err(|_| bad())?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_owned();
    if ascii.is_empty() {
        return Err(bad());
    }
    let (unicode, checked) = idna::domain_to_unicode(&ascii);
    checked.map_err(|_| bad())?;
    for label in unicode.split('.') {
        check_one_script(label, "a label of the domain")?;
    }
    Ok(ascii)
}

/// Whether `domain` is a host name that UTS #46 (with the options of [`ascii_domain`])
/// maps to itself and accepts: lower-case ASCII letters, digits and hyphens in labels of 1
/// to 63 characters, at most 253 in all, no punycode (`xn--`) label and no root dot. Such
/// a domain is its own ASCII and Unicode form and a single script (a test compares this
/// shortcut with the full processing).
fn plain_ascii_domain(domain: &str) -> bool {
    domain.len() <= 253
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with("xn--")
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The look-alike skeleton of a normalised username: the Unicode TR #39 confusable
/// skeleton of its NFKC, lower-cased form (with an IDNA domain shown in Unicode),
/// lower-cased again. Two usernames with the same skeleton are the same account as far as
/// uniqueness is concerned.
pub fn username_skeleton(username: &str) -> String {
    if let Some(fast) = ascii_skeleton(username) {
        return fast;
    }
    slow_skeleton(username)
}

/// [`username_skeleton`] computed in full: IDNA, NFKC, lower case, TR #39 skeleton.
fn slow_skeleton(username: &str) -> String {
    let shown = match username.rfind('@') {
        Some(at) if username[at + 1..].contains("xn--") => {
            let (unicode, _) = idna::domain_to_unicode(&username[at + 1..]);
            format!("{}@{unicode}", &username[..at])
        }
        _ => username.to_owned(),
    };
    let lowered: String = shown.nfkc().collect::<String>().to_lowercase();
    skeleton(&lowered).collect::<String>().to_lowercase()
}

/// The skeleton of each ASCII character, when it can be concatenated: the TR #39 skeleton
/// of the lower-cased character, kept only if every character of it is a starter
/// (canonical combining class 0), so that the final NFD of the skeleton algorithm cannot
/// reorder anything across the boundary with its neighbours.
fn ascii_skeleton_table() -> &'static [Option<String>; 128] {
    static TABLE: OnceLock<[Option<String>; 128]> = OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| {
            let c = char::from(u8::try_from(i).unwrap_or(0)).to_ascii_lowercase();
            let one: String = skeleton(c.encode_utf8(&mut [0; 4])).collect();
            one.chars()
                .all(|k| unicode_normalization::char::canonical_combining_class(k) == 0)
                .then_some(one)
        })
    })
}

/// [`username_skeleton`] of a plain-ASCII username without a punycode (`xn--`) domain,
/// from a table of per-character skeletons, or `None` when the full computation is needed.
/// NFKC of ASCII is the identity and the skeleton maps characters one by one, so the two
/// agree (a test compares them).
fn ascii_skeleton(username: &str) -> Option<String> {
    if !username.is_ascii() || username.contains("xn--") {
        return None;
    }
    let table = ascii_skeleton_table();
    let mut out = String::with_capacity(username.len() + 8);
    for b in username.bytes() {
        out.push_str(table[usize::from(b)].as_deref()?);
    }
    Some(out.to_lowercase())
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
                "a password needs at least {MIN_PASSWORD_CHARS} characters (see docs/accounts.md)"
            )));
        }
        Ok(n)
    }
}

fn too_long() -> Error {
    Error::invalid_input(format!(
        "a password is at most {MAX_PASSWORD_CHARS} characters (see docs/accounts.md); it is never truncated"
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
/// usernames (docs/accounts.md: a login's outcome and timing do not reveal whether a username
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

/// Reads a secret (a password or a token) from a string, so that JSON requests can carry
/// one. There is deliberately no `Serialize`. A value of another type is refused without
/// echoing it: the error names only what was expected.
struct SecretText(&'static str);

impl SecretText {
    fn refuse<E: serde::de::Error>(&self) -> E {
        E::custom(format_args!("{} must be a string", self.0))
    }
}

impl serde::de::Visitor<'_> for SecretText {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.0)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<String, E> {
        Ok(v)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_i128<E: serde::de::Error>(self, _: i128) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_u128<E: serde::de::Error>(self, _: u128) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<String, E> {
        Err(self.refuse())
    }

    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> std::result::Result<String, E> {
        Err(self.refuse())
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    /// A password from a JSON string (the text as typed; it is checked when used).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Password, D::Error> {
        d.deserialize_any(SecretText("a password")).map(Password)
    }
}

impl<'de> serde::Deserialize<'de> for SecretToken {
    /// A token the user presented, from a JSON string.
    fn deserialize<D: serde::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<SecretToken, D::Error> {
        d.deserialize_any(SecretText("a token")).map(SecretToken)
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

impl schemars::JsonSchema for Password {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Password".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A password as typed: 8 to 1,024 characters after NFKC normalisation, at most 4,096 bytes (docs/limits.md). Never written back.",
            "writeOnly": true
        })
    }
}

impl schemars::JsonSchema for SecretToken {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretToken".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A one-time invitation or password-reset token: 43 URL-safe base64 characters (32 random bytes)."
        })
    }
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
        assert_eq!(username_skeleton("\u{131}da@x.test"), "ida@x.test");
        assert_eq!(
            username_skeleton("Äsa@x.test"),
            username_skeleton("äsa@x.test")
        );
        // Whole-script Cyrillic look-alike of `ace`, and ASCII look-alikes.
        assert_eq!(
            username_skeleton("\u{430}\u{441}\u{435}@x.test"),
            "ace@x.test"
        );
        assert_eq!(
            username_skeleton("rnary@x.test"),
            username_skeleton("mary@x.test")
        );
        assert_eq!(
            username_skeleton("ann1@x.test"),
            username_skeleton("annl@x.test")
        );
        assert_ne!(
            username_skeleton("ann@x.test"),
            username_skeleton("anne@x.test")
        );
        assert!(normalize_username(" ").is_err());
        assert!(normalize_username("a b@x.test").is_err());
        assert!(is_email("a@b.test"));
        assert!(!is_email("frontdesk-7"));
        assert!(!is_email("a@b@c.test"));
    }

    #[test]
    fn domains_are_idna_ascii_lower_case_without_a_root_dot() {
        let n = |s: &str| normalize_username(s).ok();
        assert_eq!(n("a@Example.COM.").as_deref(), Some("a@example.com"));
        assert_eq!(
            n("a@B\u{fc}cher.Example").as_deref(),
            Some("a@xn--bcher-kva.example")
        );
        assert_eq!(
            username_skeleton("a@xn--bcher-kva.example"),
            username_skeleton("a@b\u{fc}cher.example")
        );
        assert_eq!(n("a@example..com"), None);
        assert_eq!(n("a@exa_mple.com"), None);
        assert_eq!(n("a@."), None);
        // Single-script non-Latin addresses are fine.
        assert!(n("\u{438}\u{432}\u{430}\u{43d}@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}").is_some());
        assert!(n("\u{5c71}\u{7530}taro@example.jp").is_some());
    }

    #[test]
    fn invisible_characters_and_mixed_scripts_are_refused() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{00AD}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{200E}',
            '\u{061C}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{0600}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
            for name in [
                format!("an{c}n@x.test"),
                format!("ann@x{c}.test"),
                format!("{c}ann"),
            ] {
                let err = normalize_username(&name).expect_err(&name);
                assert_eq!(err.code(), ErrorCode::InvalidInput, "{name:?}");
            }
        }
        for name in [
            "m\u{430}ry@x.test",     // Cyrillic а in Latin
            "p\u{435}ter@x.test",    // Cyrillic е in Latin
            "ann@ex\u{430}mple.com", // Cyrillic а in a Latin domain label
            "\u{3b1}nna@x.test",     // Greek α in Latin
            "\u{FF41}nn@x.test",     // full-width a: a compatibility form, not allowed
            "ann\u{1F600}@x.test",   // emoji
        ] {
            let err = normalize_username(name).expect_err(name);
            assert_eq!(err.code(), ErrorCode::InvalidInput, "{name:?}");
        }
        // The Kelvin sign is canonically equivalent to K: the same name as `kim` (NFC).
        assert_eq!(
            normalize_username("\u{212A}im@x.test").ok().as_deref(),
            Some("kim@x.test")
        );
        assert!(normalize_username(&"a".repeat(MAX_USERNAME_CHARS)).is_ok());
        assert!(normalize_username(&"a".repeat(MAX_USERNAME_CHARS + 1)).is_err());
        assert!(normalize_username(&" ".repeat(MAX_USERNAME_CHARS * 4 + 1)).is_err());
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The full UTS #46 processing of [`ascii_domain`], without its shortcut.
    fn slow_ascii_domain(domain: &str) -> Option<String> {
        let ascii = idna::uts46::Uts46::new()
            .to_ascii(
                domain.as_bytes(),
                idna::uts46::AsciiDenyList::STD3,
                idna::uts46::Hyphens::Allow,
                idna::uts46::DnsLength::VerifyAllowRootDot,
            )
            .ok()?;
        let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_owned();
        let (unicode, checked) = idna::domain_to_unicode(&ascii);
        checked.ok()?;
        let one_script = unicode.split('.').all(|label| {
            let letters: String = label
                .chars()
                .filter(|c| !c.is_ascii_punctuation())
                .collect();
            letters.as_str().detect_restriction_level() <= RestrictionLevel::HighlyRestrictive
        });
        (!ascii.is_empty() && one_script).then_some(ascii)
    }

    #[test]
    fn every_ascii_character_has_a_concatenable_skeleton_or_takes_the_full_path() {
        for b in 0u8..128 {
            let c = char::from(b);
            let text = format!("a{c}b");
            assert_eq!(
                username_skeleton(&text),
                slow_skeleton(&text),
                "skeleton of {text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_skeleton_agrees_with_the_full_computation(
            text in "[a-zA-Z0-9._%+@|`'\"!#$&*=?^{}~ /\\-]{0,40}"
        ) {
            if let Some(fast) = ascii_skeleton(&text) {
                proptest::prop_assert_eq!(fast, slow_skeleton(&text));
            }
        }

        #[test]
        fn plain_ascii_domains_are_their_own_idna_form(
            domain in "(xn--)?[a-z0-9-]{0,8}(\\.[a-zA-Z0-9_-]{0,8}){0,3}\\.?",
            long in 0usize..3,
        ) {
            let domain = match long {
                0 => domain,
                1 => format!("{}.{domain}", "a".repeat(63)),
                _ => format!("{}.{domain}", ["b".repeat(62), "c".repeat(63)].join(".").repeat(2)),
            };
            if plain_ascii_domain(&domain) {
                proptest::prop_assert_eq!(Some(domain.clone()), slow_ascii_domain(&domain));
            }
            // With or without the shortcut, the public function agrees with UTS #46.
            proptest::prop_assert_eq!(ascii_domain(&domain).ok().filter(|d| !d.is_empty()), slow_ascii_domain(&domain));
        }

        #[test]
        fn visible_ascii_parts_are_single_script(part in "[!-~]{0,30}") {
            let letters: String = part.chars().filter(|c| !c.is_ascii_punctuation()).collect();
            proptest::prop_assert!(
                letters.as_str().detect_restriction_level() <= RestrictionLevel::HighlyRestrictive
            );
        }
    }
}
