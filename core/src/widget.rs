//! The embeddable "Book an appointment" button the host puts on the clinic's website.

use serde::{Deserialize, Serialize};

/// Button sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BookButton {
    /// The button's text.
    pub label: String,
    /// Size.
    pub size: ButtonSize,
    /// Background colour, `#rgb` or `#rrggbb`.
    pub colour: String,
    /// Text colour, `#rgb` or `#rrggbb`.
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
    ///
    /// ```
    /// use clinic_portal::widget::BookButton;
    /// let html = BookButton::default().html("https://portal.example/book?c=1&s=2");
    /// assert!(html.starts_with("<a "));
    /// assert!(html.contains("href=\"https://portal.example/book?c=1&amp;s=2\""));
    /// ```
    pub fn html(&self, booking_url: &str) -> String {
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
        format!(
            "<a class=\"clinic-portal-book\" href=\"{}\" style=\"display:inline-block;\
             background:{colour};color:{text};font-size:{font};padding:{padding};\
             border-radius:4px;text-decoration:none;font-family:sans-serif\">{}</a>",
            escape_html(booking_url),
            escape_html(&self.label),
        )
    }
}
