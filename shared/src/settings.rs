//! The commune's settings: one TOML file in the site content
//! (`site/content/commune.toml`), embedded at build time so that the static
//! site and the functions always read the same values.

use serde::Deserialize;
use std::sync::LazyLock;

/// The settings file, as built into this binary.
pub const SOURCE: &str = include_str!("../../site/content/commune.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub commune: Commune,
    pub services: Vec<Service>,
    pub activites: Vec<Activity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commune {
    /// "Ville de …", as written in titles.
    pub nom: String,
    pub nom_court: String,
    /// The portal's name, e.g. "Espace Famille".
    pub portail: String,
    pub adresse: String,
    pub telephone: String,
    pub courriel: String,
    pub site_web: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub id: String,
    pub nom: String,
    pub courriel: String,
    pub telephone: String,
    pub horaires: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Restauration,
    Periscolaire,
    Mercredis,
    Vacances,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub id: String,
    pub nom: String,
    pub categorie: Category,
}

/// Parses settings; the error names the file's line and what is wrong.
pub fn parse(source: &str) -> Result<Settings, String> {
    toml::from_str(source).map_err(|e| format!("site/content/commune.toml : {e}"))
}

static SETTINGS: LazyLock<Settings> = LazyLock::new(|| {
    // Checked by the unit test below and by the site build: a binary with
    // invalid settings is never produced by the test command.
    parse(SOURCE).unwrap_or_else(|e| panic!("{e}"))
});

/// The settings built into this binary.
pub fn get() -> &'static Settings {
    &SETTINGS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_settings_parse() {
        let s = parse(SOURCE).unwrap();
        assert!(!s.commune.nom.is_empty());
        assert!(
            s.activites
                .iter()
                .any(|a| a.categorie == Category::Restauration)
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse("[commune]\nnom = 3\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }
}
