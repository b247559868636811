//! One rule for the text every form, upload form and import brings in.

use std::borrow::Cow;

/// Unicode's bidirectional controls (embeddings, overrides, isolates and
/// marks): invisible, they can make a name read backwards to an agent
/// ("U+202E"). None has a use in a French name, address or description.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The text without its bidirectional controls (borrowed when it has none).
pub fn without_bidi_controls(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_bidi_control) {
        Cow::Owned(text.chars().filter(|c| !is_bidi_control(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// "de Léa", "d'Inès", "d'Hugo": the French elision before a name that
/// begins with a vowel or an h.
pub fn de(name: &str) -> String {
    let first = name
        .chars()
        .next()
        .map(|c| crate::accounts::names::fold(&c.to_string()))
        .unwrap_or_default();
    if first.starts_with(['a', 'e', 'i', 'o', 'u', 'y', 'h']) {
        format!("d'{name}")
    } else {
        format!("de {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_elides_before_a_vowel_or_an_h() {
        assert_eq!(de("Inès Martin"), "d'Inès Martin");
        assert_eq!(de("Élodie"), "d'Élodie");
        assert_eq!(de("Hugo"), "d'Hugo");
        assert_eq!(de("Léa"), "de Léa");
    }

    #[test]
    fn bidi_controls_are_removed_and_the_rest_kept() {
        assert_eq!(without_bidi_controls("Inès\u{202E}erbiL"), "InèserbiL");
        assert_eq!(
            without_bidi_controls("\u{2066}a\u{2069}\u{200F}b\u{061C}\u{202A}"),
            "ab"
        );
        assert!(matches!(
            without_bidi_controls("Lefèvre, 3 rue de l'École"),
            Cow::Borrowed(_)
        ));
        // Arabic and Hebrew letters are text, not controls.
        assert_eq!(without_bidi_controls("نور שלום"), "نور שלום");
    }
}
