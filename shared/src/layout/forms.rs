//! Form pieces every page uses the same way: a labelled field with its rule
//! and its error next to it (tied by `aria-describedby`), a checkbox, and the
//! error summary announced at the top of a refused form (RGAA 11.10, 11.11).

use crate::accounts::validation::FieldErrors;
use maud::{Markup, html};

/// One input with its label, hint and error.
pub struct Field<'a> {
    pub name: &'static str,
    pub label: &'a str,
    /// `text`, `email`, `password`…
    pub kind: &'static str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub autocomplete: &'static str,
    pub required: bool,
}

impl<'a> Field<'a> {
    pub fn text(name: &'static str, label: &'a str, value: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value,
            hint: None,
            autocomplete: "off",
            required: true,
        }
    }

    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let error = errors.get(self.name);
        let hint_id = format!("{}-aide", self.name);
        let error_id = format!("{}-erreur", self.name);
        let described: Vec<&str> = [
            self.hint.map(|_| hint_id.as_str()),
            error.map(|_| error_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        // Passwords are never sent back into the page.
        let value = (self.kind != "password").then_some(self.value);
        html! {
            div.field {
                label for=(self.name) {
                    (self.label)
                    @if self.required { " " span.required aria-hidden="true" { "*" } }
                }
                @if let Some(hint) = self.hint { span.hint id=(hint_id) { (hint) } }
                input id=(self.name) name=(self.name) type=(self.kind) value=[value]
                    autocomplete=(self.autocomplete) required[self.required]
                    aria-describedby=[described] aria-invalid=[error.map(|_| "true")]
                    autocapitalize=[(self.kind != "text" || self.autocomplete == "username").then_some("none")]
                    spellcheck=[(self.kind != "text").then_some("false")];
                @if let Some(e) = error { span.error id=(error_id) { "Erreur : " (e) } }
            }
        }
    }
}

/// A required text area with its label and error.
pub fn textarea(name: &'static str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    text_area(name, label, value, None, (3, Some(500)), errors)
}

/// A required text area with its label, an optional hint and its error;
/// `(rows, maxlength)`.
pub fn text_area(
    name: &'static str,
    label: &str,
    value: &str,
    hint: Option<&str>,
    (rows, maxlength): (u32, Option<usize>),
    errors: &FieldErrors,
) -> Markup {
    let error = errors.get(name);
    let hint_id = format!("{name}-aide");
    let error_id = format!("{name}-erreur");
    let described: Vec<&str> = [
        hint.map(|_| hint_id.as_str()),
        error.map(|_| error_id.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        div.field {
            label for=(name) { (label) " " span.required aria-hidden="true" { "*" } }
            @if let Some(h) = hint { span.hint id=(hint_id) { (h) } }
            textarea id=(name) name=(name) rows=(rows) required maxlength=[maxlength]
                aria-describedby=[described]
                aria-invalid=[error.map(|_| "true")] { (value) }
            @if let Some(e) = error { span.error id=(error_id) { "Erreur : " (e) } }
        }
    }
}

/// A required checkbox with its label and error.
pub fn checkbox(name: &'static str, label: Markup, checked: bool, errors: &FieldErrors) -> Markup {
    let error = errors.get(name);
    let error_id = format!("{name}-erreur");
    html! {
        div.field {
            div.check {
                input id=(name) name=(name) type="checkbox" value="1" checked[checked]
                    aria-describedby=[error.map(|_| error_id.as_str())] aria-invalid=[error.map(|_| "true")];
                label for=(name) { (label) }
            }
            @if let Some(e) = error { span.error id=(error_id) { "Erreur : " (e) } }
        }
    }
}

/// The summary above a refused form: announced, focusable, one link per field.
pub fn error_summary(errors: &FieldErrors, labels: &[(&str, &str)]) -> Markup {
    if errors.is_empty() {
        return html! {};
    }
    let count = errors.len();
    html! {
        div.notice.notice-error role="alert" tabindex="-1" id="erreurs" {
            p { strong { "Le formulaire contient " (count) @if count > 1 { " erreurs" } @else { " erreur" } " :" } }
            ul {
                @for (field, message) in errors {
                    @let label = labels.iter().find(|(n, _)| n == field).map_or(*field, |(_, l)| *l);
                    li { a href={ "#" (field) } { (label) " : " (message) } }
                }
            }
        }
    }
}

/// The note on required fields, above each form.
pub fn required_note() -> Markup {
    html! { p.hint { "Les champs marqués d'un astérisque (" span aria-hidden="true" { "*" } ") sont obligatoires." } }
}

/// A file input with its label, hint and error; `accept` lists the types
/// offered by the browser's picker (the server checks the content anyway).
pub fn file_input(
    name: &str,
    label: &str,
    hint: &str,
    accept: &str,
    required: bool,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.get(name);
    let hint_id = format!("{name}-aide");
    let error_id = format!("{name}-erreur");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    html! {
        div.field {
            label for=(name) {
                (label)
                @if required { " " span.required aria-hidden="true" { "*" } }
            }
            span.hint id=(hint_id) { (hint) }
            input id=(name) name=(name) type="file" accept=(accept)
                required[required] aria-describedby=(described) aria-invalid=[error.map(|_| "true")];
            @if let Some(e) = error { span.error id=(error_id) { "Erreur : " (e) } }
        }
    }
}
