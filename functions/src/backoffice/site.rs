//! The web team's back-office (agents of the `communication` service):
//! the site's actualités (Markdown with a preview rendered by the site's
//! own code, an image resized to the site's widths, draft / published /
//! scheduled) and documents (PDF files in the site's categories), and the
//! audit trail of every change. Every handler asks `shared::access` for
//! the publisher's proof first: any other agent gets 403.

use super::agent_bar;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use maud::{Markup, html};
use serde::Deserialize;
use shared::App;
use shared::access::Publisher;
use shared::accounts::validation::{self, FieldErrors};
use shared::layout::forms::{Field, error_summary, file_input, required_note, text_area};
use shared::layout::{self, NoticeKind, Page, notice, size_fr};
use shared::publishing::rules::{self, Choice, NewsForm};
use shared::publishing::{self, ImageChange, News, PublishError, SiteDocument, StoredVariant};
use shared::web::AppError;
use shared::web::auth::{Agent, Csrf, CsrfForm};
use shared::web::upload::{CsrfMultipart, Upload};

pub const NEWS: &str = "/agents/site/actualites";
pub const DOCS: &str = "/agents/site/documents";
pub const JOURNAL: &str = "/agents/site/journal";

fn publisher(agent: &Agent) -> Result<Publisher, AppError> {
    Ok(agent.access.publisher()?)
}

/// What a redirect after a change says.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    fait: String,
}

fn done_text(fait: &str) -> Option<&'static str> {
    Some(match fait {
        "publiee" => "L'actualité est publiée : le site est à jour.",
        "brouillon" => "L'actualité est enregistrée en brouillon : elle n'est pas sur le site.",
        "programmee" => "L'actualité est programmée : elle sera publiée à la date choisie.",
        "depubliee" => "L'actualité n'est plus sur le site (elle reste en brouillon).",
        "document" => "Le document est publié : le site est à jour.",
        "remplace" => "Le document est remplacé, à la même adresse.",
        "retire" => "Le document est retiré du site.",
        _ => return None,
    })
}

fn page(title: &str, path: &str, agent: &Agent, csrf: &Csrf, main: Markup) -> Markup {
    layout::render(Page {
        title,
        path,
        main: html! { (agent_bar(agent, csrf)) (main) },
    })
}

fn paris(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string()
}

// ------------------------------------------------------------ actualités

/// The list of actualités.
pub fn news_list_view(
    items: &[(News, u64)],
    now: DateTime<Utc>,
    csrf: &Csrf,
    done: Option<&str>,
) -> Markup {
    html! {
        @if let Some(text) = done { (notice(NoticeKind::Success, text)) }
        p { a.button href={ (NEWS) "/nouvelle" } { "Nouvelle actualité" } }
        @if items.is_empty() {
            p { "Aucune actualité." }
        } @else {
            div.table-scroll role="region" aria-label="Actualités du site" tabindex="0" {
                table.data.stacked {
                    caption { "Actualités du site, la plus récente en premier" }
                    thead { tr {
                        th scope="col" { "Titre" } th scope="col" { "Date" } th scope="col" { "État" }
                        th scope="col" { "Modifiée" } th scope="col" { "Actions" }
                    } }
                    tbody {
                        @for (n, version) in items {
                            tr {
                                td data-label="Titre" { a href={ (NEWS) "/" (n.slug) } { (n.titre) } }
                                td.nowrap data-label="Date" { (n.date.format("%d/%m/%Y")) }
                                td.nowrap data-label="État" { (n.status_label(now)) }
                                td data-label="Modifiée" { span { (paris(n.modifiee_le)) " par " (n.modifiee_par) } }
                                td data-label="Actions" {
                                    div {
                                        @if n.online_at(now) {
                                            a href={ "/actualites/" (n.slug) "/" } { "Voir sur le site" span.visually-hidden { " : " (n.titre) } }
                                        }
                                        @if n.statut != publishing::Status::Brouillon {
                                            form.inline method="post" action={ (NEWS) "/" (n.slug) "/depublier" } {
                                                (csrf.field())
                                                input type="hidden" name="version" value=(version);
                                                button.button-secondary type="submit" { "Dépublier" span.visually-hidden { " : " (n.titre) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn news_list(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let items = publishing::all_news(app.store.as_ref()).await?;
    let main = news_list_view(&items, app.clock.now(), &csrf, done_text(&q.fait));
    let markup = page("Actualités du site", NEWS, &agent, &csrf, main);
    Ok((csrf, markup).into_response())
}

/// What the news form shows beside the typed fields.
pub struct NewsFormView<'a> {
    /// `None`: a new item.
    pub slug: Option<&'a str>,
    pub version: u64,
    pub form: &'a NewsForm,
    /// The image the item will have (kept, or the item's own).
    pub image: Option<&'a [StoredVariant]>,
    /// A new image kept by this form (its note, sent back hidden).
    pub kept_note: &'a str,
    pub errors: &'a FieldErrors,
    /// The preview of what was typed, rendered by the site's code.
    pub preview: Option<Markup>,
}

const NEWS_LABELS: &[(&str, &str)] = &[
    ("titre", "Titre"),
    ("date", "Date affichée"),
    ("resume", "Résumé"),
    ("corps", "Texte"),
    ("image", "Image"),
    ("image_alt", "Texte alternatif de l'image"),
    ("statut", "Publication"),
    ("programmee_le", "Date et heure de publication"),
];

pub fn news_form_view(v: &NewsFormView, csrf: &Csrf) -> Markup {
    let action = match v.slug {
        Some(slug) => format!("{NEWS}/{slug}"),
        None => format!("{NEWS}/nouvelle"),
    };
    let choice = Choice::parse(&v.form.statut).unwrap_or(Choice::Publish);
    let radio = |value: Choice, label: &str| {
        let id = format!("statut-{}", value.as_str());
        html! {
            div.check {
                input type="radio" id=(id) name="statut" value=(value.as_str()) checked[choice == value];
                label for=(id) { (label) }
            }
        }
    };
    let statut_error = v.errors.get("statut");
    html! {
        (error_summary(v.errors, NEWS_LABELS))
        (required_note())
        form.stack method="post" action=(action) enctype="multipart/form-data" novalidate data-news-form {
            (csrf.field())
            input type="hidden" name="version" value=(v.version);
            input type="hidden" name="image_gardee" value=(v.kept_note);
            (Field::text("titre", "Titre", &v.form.titre).hint("150 caractères au plus.").render(v.errors))
            (Field::text("date", "Date affichée", &v.form.date).kind("date").hint("JJ/MM/AAAA").render(v.errors))
            (text_area("resume", "Résumé", &v.form.resume, Some("Une ou deux phrases, sur la page d'accueil et dans la liste (400 caractères au plus)."), (3, Some(rules::MAX_SUMMARY)), v.errors))
            (text_area("corps", "Texte", &v.form.corps, Some("En Markdown : une ligne vide entre deux paragraphes, **gras**, *italique*, ## Intertitre, - liste, [lien](https://…). Le HTML est affiché tel quel, comme du texte."), (14, Some(rules::MAX_BODY)), v.errors))
            fieldset {
                legend { "Image (facultative)" }
                @if let Some(variants) = v.image {
                    @if let Some(largest) = variants.last() {
                        p { "Image actuelle : " img.thumb src={ "/agents/site/images/" (largest.file_name()) } alt="" width="120"; }
                    }
                    div.check {
                        input type="checkbox" id="retirer_image" name="retirer_image" value="1" checked[v.form.retirer_image == "1"];
                        label for="retirer_image" { "Retirer l'image" }
                    }
                }
                (file_input("image", if v.image.is_some() { "Remplacer par une autre image" } else { "Image" },
                    "JPEG ou PNG, 4 Mo au plus ; elle est redimensionnée pour le site (480 et 960 pixels de large).",
                    ".jpg,.jpeg,.png,image/jpeg,image/png", false, v.errors))
                (Field::text("image_alt", "Texte alternatif de l'image", &v.form.image_alt)
                    .hint("Ce que montre l'image, pour les personnes qui ne la voient pas. Obligatoire avec une image.")
                    .optional().render(v.errors))
            }
            fieldset aria-describedby=[statut_error.map(|_| "statut-erreur")] {
                legend { "Publication " span.required aria-hidden="true" { "*" } }
                (radio(Choice::Draft, "Brouillon (pas sur le site)"))
                (radio(Choice::Publish, "Publier maintenant"))
                (radio(Choice::Schedule, "Programmer la publication"))
                @if let Some(e) = statut_error { span.error id="statut-erreur" { "Erreur : " (e) } }
                (Field::text("programmee_le", "Date et heure de publication (si programmée)", &v.form.programmee_le)
                    .kind("datetime-local").hint("JJ/MM/AAAA HH:MM, heure de Paris ; à venir.").optional().render(v.errors))
            }
            div.actions {
                button type="submit" name="action" value="enregistrer" { "Enregistrer" }
                button.button-secondary type="submit" name="action" value="apercu" { "Aperçu" }
            }
        }
        section.preview aria-labelledby="apercu-titre" {
            h2 #apercu-titre { "Aperçu" }
            p.hint { "Tel que la page de l'actualité le montrera (mis à jour pendant la saisie quand JavaScript est actif)." }
            div #apercu-contenu {
                @match &v.preview {
                    Some(p) => { (p) }
                    None => { p { "Cliquez sur « Aperçu » pour voir la page." } }
                }
            }
        }
        script src=(layout::publishing_script_path()) defer {}
    }
}

/// The preview of a form as typed: the site's article, its image served
/// from the back-office until it is published.
pub fn preview(
    form: &NewsForm,
    image: Option<&[StoredVariant]>,
    today: chrono::NaiveDate,
) -> Markup {
    let item = site::news::Item {
        slug: String::new(),
        title: form.titre.trim().to_owned(),
        date: rules::news_date(&form.date).unwrap_or(today),
        summary: form.resume.trim().to_owned(),
        image: image
            .filter(|_| form.retirer_image != "1")
            .map(|variants| site::news::Image {
                alt: form.image_alt.trim().to_owned(),
                variants: variants
                    .iter()
                    .map(|v| site::news::ImageFile {
                        path: format!("/agents/site/images/{}", v.file_name()),
                        width: Some(v.largeur),
                    })
                    .collect(),
            }),
        body_markdown: form.corps.clone(),
        body_html: site::news::markdown(&form.corps),
        draft: true,
    };
    html! {
        article {
            h3 { (item.title) }
            (site::news::article(&item))
        }
    }
}

fn form_of(n: &News) -> NewsForm {
    NewsForm {
        titre: n.titre.clone(),
        date: n.date.to_string(),
        resume: n.resume.clone(),
        corps: n.corps.clone(),
        image_alt: n.image.as_ref().map(|i| i.alt.clone()).unwrap_or_default(),
        statut: match n.statut {
            publishing::Status::Brouillon => "brouillon",
            publishing::Status::Publiee => "publier",
            publishing::Status::Programmee { .. } => "programmer",
        }
        .into(),
        programmee_le: match n.statut {
            publishing::Status::Programmee { le } => le
                .with_timezone(&Paris)
                .format("%Y-%m-%dT%H:%M")
                .to_string(),
            _ => String::new(),
        },
        retirer_image: String::new(),
    }
}

fn title_of(slug: Option<&str>) -> &'static str {
    if slug.is_some() {
        "Modifier une actualité"
    } else {
        "Nouvelle actualité"
    }
}

pub async fn news_new(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let form = NewsForm {
        date: shared::planning::rules::paris_date(app.clock.now()).to_string(),
        statut: "publier".into(),
        ..NewsForm::default()
    };
    let view = NewsFormView {
        slug: None,
        version: 0,
        form: &form,
        image: None,
        kept_note: "",
        errors: &FieldErrors::new(),
        preview: None,
    };
    let markup = page(
        title_of(None),
        NEWS,
        &agent,
        &csrf,
        news_form_view(&view, &csrf),
    );
    Ok((csrf, markup).into_response())
}

pub async fn news_edit(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let (item, version) = publishing::news(app.store.as_ref(), &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = form_of(&item);
    let view = NewsFormView {
        slug: Some(&slug),
        version,
        form: &form,
        image: item.image.as_ref().map(|i| i.variantes.as_slice()),
        kept_note: "",
        errors: &FieldErrors::new(),
        preview: None,
    };
    let main = html! {
        p.hint { (item.status_label(app.clock.now())) " — adresse : " code { "/actualites/" (slug) "/" } }
        (news_form_view(&view, &csrf))
    };
    let markup = page(title_of(Some(&slug)), NEWS, &agent, &csrf, main);
    Ok((csrf, markup).into_response())
}

pub async fn news_create(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfMultipart(upload): CsrfMultipart,
) -> Result<Response, AppError> {
    submit_news(&app, &agent, csrf, None, upload).await
}

pub async fn news_update(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(slug): Path<String>,
    CsrfMultipart(upload): CsrfMultipart,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let existing = publishing::news(app.store.as_ref(), &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    submit_news(&app, &agent, csrf, Some(existing), upload).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Extra {
    action: String,
    image_gardee: String,
    version: String,
}

/// Creates or changes an actualité: the image first (kept at once, so
/// that the form shown again keeps it), then the fields; "Aperçu" shows
/// the form and the preview, saving nothing.
async fn submit_news(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    existing: Option<(News, u64)>,
    mut upload: Upload,
) -> Result<Response, AppError> {
    let publisher = publisher(agent)?;
    let mut errors = FieldErrors::new();
    let mut form: NewsForm = upload.form_lossy();
    let extra: Extra = upload.form_lossy();
    for field in upload.invalid_text() {
        if let Some((name, _)) = NEWS_LABELS.iter().find(|(n, _)| n == field) {
            errors.insert(
                name,
                "Ce texte contient des caractères illisibles : saisissez-le de nouveau.".into(),
            );
        }
    }
    // The image: a new one sent, one kept by the previous form, or none.
    let mut sent: Option<Vec<StoredVariant>> = None;
    if let Some(bytes) = upload.take_file("image") {
        match publishing::keep_image(app, &bytes)
            .await
            .map_err(PublishError::from)?
        {
            Ok(kept) => sent = Some(kept),
            Err(message) => {
                errors.insert("image", message);
            }
        }
    } else if !extra.image_gardee.is_empty() {
        sent = publishing::kept_image(app, &extra.image_gardee)
            .await
            .map_err(PublishError::from)?;
    }
    let current = existing
        .as_ref()
        .and_then(|(n, _)| n.image.as_ref())
        .map(|i| i.variantes.clone());
    let removing = form.retirer_image == "1" && sent.is_none();
    let image = sent
        .clone()
        .or(if removing { None } else { current.clone() });
    let checked = rules::check_news(&form, image.is_some(), app.clock.now());
    let version: u64 = extra.version.parse().unwrap_or(0);
    let slug = existing.as_ref().map(|(n, _)| n.slug.clone());
    let previewing = extra.action == "apercu";
    let result = match (checked, errors.is_empty(), previewing) {
        (Ok(checked), true, false) => {
            let choice = checked.choice;
            let saved = match &slug {
                None => publishing::create_news(app, &publisher, checked, sent.clone())
                    .await
                    .map(|_| ()),
                Some(slug) => {
                    let change = match (&sent, removing) {
                        (Some(v), _) => ImageChange::Replace(v.clone()),
                        (None, true) => ImageChange::Remove,
                        (None, false) => ImageChange::Keep,
                    };
                    publishing::update_news(app, &publisher, slug, version, checked, change).await
                }
            };
            match saved {
                Ok(()) => {
                    let fait = match choice {
                        Choice::Draft => "brouillon",
                        Choice::Publish => "publiee",
                        Choice::Schedule => "programmee",
                    };
                    return Ok(Redirect::to(&format!("{NEWS}?fait={fait}")).into_response());
                }
                Err(PublishError::Conflict) => Some(StatusCode::CONFLICT),
                Err(e) => return Err(e.into()),
            }
        }
        (Err(e), _, _) if !previewing => {
            errors.extend(e);
            None
        }
        _ => None,
    };
    if result == Some(StatusCode::CONFLICT) {
        // Shown again on the current version, what was typed kept.
        form.retirer_image = String::new();
    }
    let today = shared::planning::rules::paris_date(app.clock.now());
    let latest_version = match &slug {
        Some(s) => publishing::news(app.store.as_ref(), s)
            .await?
            .map_or(version, |(_, v)| v),
        None => 0,
    };
    let note = sent
        .as_deref()
        .map(publishing::kept_note)
        .unwrap_or_default();
    let view = NewsFormView {
        slug: slug.as_deref(),
        version: latest_version,
        form: &form,
        image: image.as_deref(),
        kept_note: &note,
        errors: &errors,
        preview: Some(preview(&form, image.as_deref(), today)),
    };
    let main = html! {
        @if result == Some(StatusCode::CONFLICT) {
            (notice(NoticeKind::Error, "Cette actualité a été modifiée par ailleurs depuis que vous l'avez ouverte. Vérifiez vos changements et enregistrez de nouveau."))
        }
        (news_form_view(&view, &csrf))
    };
    let status = result.unwrap_or(if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    });
    let markup = page(title_of(slug.as_deref()), NEWS, agent, &csrf, main);
    Ok((status, csrf, markup).into_response())
}

/// The live preview (the form's script): the article as typed.
pub async fn news_preview(
    State(app): State<App>,
    agent: Agent,
    CsrfForm(form): CsrfForm<PreviewForm>,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let image = match form.image_gardee.as_str() {
        "" => None,
        note => publishing::kept_image(&app, note)
            .await
            .map_err(PublishError::from)?,
    };
    let image = match (image, &form.slug) {
        (Some(i), _) => Some(i),
        (None, slug) if !slug.is_empty() => publishing::news(app.store.as_ref(), slug)
            .await?
            .and_then(|(n, _)| n.image.map(|i| i.variantes)),
        _ => None,
    };
    let today = shared::planning::rules::paris_date(app.clock.now());
    let fragment = preview(&form.news, image.as_deref(), today);
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        fragment.into_string(),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PreviewForm {
    #[serde(flatten)]
    news: NewsForm,
    #[serde(default)]
    image_gardee: String,
    #[serde(default)]
    slug: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: String,
}

fn version_of(form: &VersionForm) -> Result<u64, AppError> {
    form.version.parse().map_err(|_| AppError::BadRequest)
}

pub async fn news_unpublish(
    State(app): State<App>,
    agent: Agent,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    let publisher = publisher(&agent)?;
    let version = version_of(&form)?;
    let done = publishing::unpublish(&app, &publisher, &slug, version).await;
    back_to(NEWS, "depubliee", done)
}

/// Back to the list after a decision: with its message when it was taken,
/// without when another one came first (the list shows what is now).
fn back_to(list: &str, what: &str, done: Result<(), PublishError>) -> Result<Response, AppError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("{list}?fait={what}")).into_response()),
        Err(PublishError::Conflict) => Ok(Redirect::to(list).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// An image of an actualité, for the preview (before it is on the site).
pub async fn image(
    State(app): State<App>,
    agent: Agent,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let variants = publishing::kept_image(&app, &name)
        .await
        .map_err(PublishError::from)?
        .ok_or(AppError::NotFound)?;
    let key = &variants[0].cle;
    let (bytes, kind) = app
        .files
        .get(key)
        .await
        .map_err(PublishError::from)?
        .ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, kind.content_type())], bytes).into_response())
}

// ------------------------------------------------------------ documents

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DocumentForm {
    titre: String,
    categorie: String,
    date: String,
}

const DOC_LABELS: &[(&str, &str)] = &[
    ("titre", "Titre"),
    ("categorie", "Catégorie"),
    ("date", "Date de publication"),
    ("fichier", "Fichier PDF"),
];

pub fn documents_view(
    docs: &[(SiteDocument, u64)],
    categories: &[String],
    form: &DocumentForm,
    errors: &FieldErrors,
    csrf: &Csrf,
    done: Option<&str>,
) -> Markup {
    let cat_error = errors.get("categorie");
    html! {
        @if let Some(text) = done { (notice(NoticeKind::Success, text)) }
        @if docs.is_empty() { p { "Aucun document publié." } }
        @for category in categories {
            @let in_category: Vec<&(SiteDocument, u64)> = docs.iter().filter(|(d, _)| &d.categorie == category).collect();
            @if !in_category.is_empty() {
                h2 { (category) }
                ul.stack-list {
                    @for (d, version) in in_category {
                        li {
                            a href={ "/documents/" (d.fichier) } { (d.titre) } " (PDF, " (size_fr(d.octets)) ") — "
                            (d.date.format("%d/%m/%Y")) ", adresse " code { "/documents/" (d.fichier) }
                            form.inline method="post" action={ (DOCS) "/" (d.fichier) "/remplacer" } enctype="multipart/form-data" {
                                (csrf.field())
                                input type="hidden" name="version" value=(version);
                                @let id = format!("remplacer-{}", d.fichier.trim_end_matches(".pdf"));
                                label for=(id) { "Nouveau fichier pour « " (d.titre) " »" }
                                input id=(id) type="file" name="fichier" accept=".pdf,application/pdf" required;
                                button.button-secondary type="submit" { "Remplacer" span.visually-hidden { " : " (d.titre) } }
                            }
                            form.inline method="post" action={ (DOCS) "/" (d.fichier) "/supprimer" } {
                                (csrf.field())
                                input type="hidden" name="version" value=(version);
                                button.button-secondary type="submit" { "Retirer du site" span.visually-hidden { " : " (d.titre) } }
                            }
                        }
                    }
                }
            }
        }
        h2 #publier { "Publier un document" }
        (error_summary(errors, DOC_LABELS))
        (required_note())
        form.stack method="post" action=(DOCS) enctype="multipart/form-data" novalidate {
            (csrf.field())
            (Field::text("titre", "Titre", &form.titre).hint("Tel qu'il apparaîtra sur la page « Documents ».").render(errors))
            div.field {
                label for="categorie" { "Catégorie " span.required aria-hidden="true" { "*" } }
                select #categorie name="categorie" required aria-describedby=[cat_error.map(|_| "categorie-erreur")] aria-invalid=[cat_error.map(|_| "true")] {
                    option value="" { "— Choisir —" }
                    @for c in categories { option value=(c) selected[&form.categorie == c] { (c) } }
                }
                @if let Some(e) = cat_error { span.error id="categorie-erreur" { "Erreur : " (e) } }
            }
            (Field::text("date", "Date de publication", &form.date).kind("date").hint("JJ/MM/AAAA").render(errors))
            (file_input("fichier", "Fichier PDF", "PDF, 4 Mo au plus.", ".pdf,application/pdf", true, errors))
            button type="submit" { "Publier le document" }
        }
    }
}

async fn documents_page(
    app: &App,
    agent: &Agent,
    csrf: Csrf,
    form: &DocumentForm,
    errors: &FieldErrors,
    done: Option<&str>,
) -> Result<Response, AppError> {
    let docs = publishing::documents(app.store.as_ref()).await?;
    let categories = publishing::categories(app.store.as_ref()).await?;
    let main = documents_view(&docs, &categories, form, errors, &csrf, done);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let markup = page("Documents du site", DOCS, agent, &csrf, main);
    Ok((status, csrf, markup).into_response())
}

pub async fn documents(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let form = DocumentForm {
        date: shared::planning::rules::paris_date(app.clock.now()).to_string(),
        ..DocumentForm::default()
    };
    documents_page(
        &app,
        &agent,
        csrf,
        &form,
        &FieldErrors::new(),
        done_text(&q.fait),
    )
    .await
}

pub async fn document_add(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let publisher = publisher(&agent)?;
    let form: DocumentForm = upload.form_lossy();
    let categories = publishing::categories(app.store.as_ref()).await?;
    let mut errors = FieldErrors::new();
    let titre = validation::check(&mut errors, "titre", rules::document_title(&form.titre));
    let categorie = validation::check(
        &mut errors,
        "categorie",
        rules::category(&form.categorie, &categories),
    );
    let date = rules::news_date(&form.date)
        .map_err(|e| errors.insert("date", e))
        .ok();
    let pdf = match upload.take_file("fichier") {
        None => {
            errors.insert("fichier", "Choisissez le fichier PDF à publier.".into());
            None
        }
        Some(bytes) => match rules::pdf(&bytes) {
            Ok(()) => Some(bytes),
            Err(e) => {
                errors.insert("fichier", e);
                None
            }
        },
    };
    if upload.invalid_text().iter().any(|f| f == "titre") {
        errors.insert(
            "titre",
            "Ce texte contient des caractères illisibles.".into(),
        );
    }
    if let (Some(date), Some(pdf), true) = (date, pdf, errors.is_empty()) {
        publishing::add_document(&app, &publisher, (titre, categorie, date), pdf).await?;
        return Ok(Redirect::to(&format!("{DOCS}?fait=document")).into_response());
    }
    documents_page(&app, &agent, csrf, &form, &errors, None).await
}

pub async fn document_replace(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
    Path(fichier): Path<String>,
    CsrfMultipart(mut upload): CsrfMultipart,
) -> Result<Response, AppError> {
    let publisher = publisher(&agent)?;
    let form: VersionForm = upload.form_lossy();
    let version = version_of(&form)?;
    publishing::document(app.store.as_ref(), &fichier)
        .await?
        .ok_or(AppError::NotFound)?;
    let checked = match upload.take_file("fichier") {
        None => Err("Choisissez le nouveau fichier PDF.".to_owned()),
        Some(bytes) => rules::pdf(&bytes).map(|()| bytes),
    };
    let message = match checked {
        Ok(bytes) => {
            match publishing::replace_document(&app, &publisher, &fichier, version, bytes).await {
                Ok(()) => return Ok(Redirect::to(&format!("{DOCS}?fait=remplace")).into_response()),
                Err(PublishError::Conflict) => {
                    "Ce document a été modifié par ailleurs : recommencez.".to_owned()
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    let mut errors = FieldErrors::new();
    errors.insert(
        "fichier",
        format!("Remplacement de « {fichier} » : {message}"),
    );
    documents_page(&app, &agent, csrf, &DocumentForm::default(), &errors, None).await
}

pub async fn document_remove(
    State(app): State<App>,
    agent: Agent,
    Path(fichier): Path<String>,
    CsrfForm(form): CsrfForm<VersionForm>,
) -> Result<Response, AppError> {
    let publisher = publisher(&agent)?;
    let version = version_of(&form)?;
    let done = publishing::remove_document(&app, &publisher, &fichier, version).await;
    back_to(DOCS, "retire", done)
}

// ------------------------------------------------------------ journal

pub async fn journal(
    State(app): State<App>,
    agent: Agent,
    csrf: Csrf,
) -> Result<Response, AppError> {
    publisher(&agent)?;
    let trail = publishing::trail(app.store.as_ref()).await?;
    let (current, built) = publishing::generations(app.store.as_ref()).await?;
    let main = html! {
        p {
            @if current == built { "Le site est à jour." }
            @else { "Publication en cours : le site montrera bientôt les derniers changements." }
        }
        @if trail.is_empty() { p { "Aucun changement pour l'instant." } }
        @else {
            div.table-scroll role="region" aria-label="Journal des publications" tabindex="0" {
                table.data.stacked {
                    caption { "Changements du site, le plus récent en premier" }
                    thead { tr { th scope="col" { "Quand" } th scope="col" { "Qui" } th scope="col" { "Quoi" } } }
                    tbody {
                        @for e in trail.iter().take(500) {
                            tr {
                                td.nowrap data-label="Quand" { (paris(e.le)) }
                                td data-label="Qui" { (e.agent_nom) }
                                td data-label="Quoi" { span { (e.action) " : " (e.detail) } }
                            }
                        }
                    }
                }
            }
        }
    };
    let markup = page("Journal des publications", JOURNAL, &agent, &csrf, main);
    Ok((csrf, markup).into_response())
}
