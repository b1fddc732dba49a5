//! The embeddable "Book an appointment" button the host puts on the clinic's website.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A link the widget emits has at most this many characters.
pub const MAX_URL_CHARS: usize = 2_048;

/// Button sizes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ButtonSize {
    Small,
    #[default]
    Medium,
    Large,
}

impl ButtonSize {
    fn css(self) -> (&'static str, &'static str) {
        match self {
            ButtonSize::Small => ("13px", "6px 12px"),
            ButtonSize::Medium => ("16px", "10px 20px"),
            ButtonSize::Large => ("20px", "14px 28px"),
        }
    }
}

/// Settings of the "Book an appointment" button.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BookButton {
    /// The button's text. Default: `Book an appointment`.
    pub label: String,
    /// Size. Default: `medium`.
    pub size: ButtonSize,
    /// Background colour, `#rgb` or `#rrggbb`. Default: `#0b7285`.
    pub colour: String,
    /// Text colour, `#rgb` or `#rrggbb`. Default: `#ffffff`.
    pub text_colour: String,
}

impl Default for BookButton {
    fn default() -> Self {
        BookButton {
            label: "Book an appointment".to_owned(),
            size: ButtonSize::Medium,
            colour: "#0b7285".to_owned(),
            text_colour: "#ffffff".to_owned(),
        }
    }
}

/// Whether `s` is a CSS hex colour `#rgb` or `#rrggbb`.
pub fn is_hex_colour(s: &str) -> bool {
    let Some(hex) = s.strip_prefix('#') else {
        return false;
    };
    (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a URL the widget may link to: an absolute `http://` or `https://` URL with a host,
/// or a path on the same site (`/book?c=1`). Anything else — `javascript:`, `data:`, other
/// schemes, scheme-relative `//host`, backslashes, spaces or control characters, more than
/// [`MAX_URL_CHARS`] characters — is refused with `invalid_input`.
///
/// ```
/// use clinic_portal::widget::check_url;
/// assert!(check_url("https://portal.example/book").is_ok());
/// assert!(check_url("/book?service=physio-30").is_ok());
/// assert!(check_url("javascript:alert(1)").is_err());
/// ```
pub fn check_url(url: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::invalid_input(format!(
            "`{}` is not an allowed link: {why}",
            url.chars().take(80).collect::<String>()
        )))
    };
    if url.chars().count() > MAX_URL_CHARS {
        return refuse(&format!("longer than {MAX_URL_CHARS} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return refuse("it contains spaces, control characters or backslashes");
    }
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        rest
    } else if url.starts_with('/') && !url.starts_with("//") {
        return Ok(());
    } else {
        return refuse("only http:// and https:// URLs, or paths starting with `/`, are allowed");
    };
    match rest.chars().next() {
        None | Some('/' | '?' | '#' | '@' | ':') => refuse("it has no host"),
        Some(_) => Ok(()),
    }
}

/// Escapes text for an HTML attribute value or element content.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl BookButton {
    /// The button's HTML: an `<a>` to `booking_url`, styled inline, every value escaped.
    /// Colours that are not hex colours fall back to the defaults (validation warns).
    /// `booking_url` must pass [`check_url`] (`invalid_input` otherwise).
    ///
    /// ```
    /// use clinic_portal::widget::BookButton;
    /// let html = BookButton::default().html("https://portal.example/book?c=1&s=2")?;
    /// assert!(html.starts_with("<a "));
    /// assert!(html.contains("href=\"https://portal.example/book?c=1&amp;s=2\""));
    /// assert!(BookButton::default().html("javascript:alert(1)").is_err());
    /// # Ok::<(), clinic_portal::Error>(())
    /// ```
    pub fn html(&self, booking_url: &str) -> Result<String> {
        check_url(booking_url)?;
        let defaults = BookButton::default();
        let colour = if is_hex_colour(&self.colour) {
            &self.colour
        } else {
            &defaults.colour
        };
        let text = if is_hex_colour(&self.text_colour) {
            &self.text_colour
        } else {
            &defaults.text_colour
        };
        let (font, padding) = self.size.css();
        Ok(format!(
            "<a class=\"clinic-portal-book\" href=\"{}\" style=\"display:inline-block;\
             background:{colour};color:{text};font-size:{font};padding:{padding};\
             border-radius:4px;text-decoration:none;font-family:sans-serif\">{}</a>",
            escape_html(booking_url),
            escape_html(&self.label),
        ))
    }
}
