//! An invoice as a PDF (A4), drawn with `krilla`: the régie and its
//! address, number and dates, payer and dossier, one line per child and
//! unit with its dates, totals, how to pay, whom to contact about an error,
//! the appeal routes. DejaVu Sans is embedded (subset) so accents print
//! everywhere. Pure: the settings and the invoice in, bytes out.

use crate::domain::invoice::{Invoice, Kind};
use crate::pricing::euros;
use crate::settings::Settings;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 42.0;
/// Where a page's content stops (room for the footer).
const BOTTOM: f32 = HEIGHT - 60.0;

#[derive(Debug, thiserror::Error)]
#[error("PDF impossible à produire : {0}")]
pub struct PdfError(String);

/// Column x positions of the lines' table: child, service, dates (left
/// edges), quantity, unit price, amount (right edges).
const COLS: [f32; 6] = [MARGIN, 135.0, 290.0, 412.0, 478.0, WIDTH - MARGIN];

/// One drawing operation of a page.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Rule {
        y: f32,
    },
}

/// The pages being laid out, as drawing operations.
struct Pen {
    pages: Vec<Vec<Op>>,
}

/// Width of a short text (amounts, column heads), in points: DejaVu
/// Sans's figures and euro sign are 0.636 em, its comma, period and space
/// 0.318 em, a letter about 0.6 em.
fn amount_width(text: &str, size: f32, bold: bool) -> f32 {
    let em: f32 = text
        .chars()
        .map(|c| match c {
            // 651/2048 em.
            ',' | '.' | ' ' | '\u{a0}' => 0.3179,
            '-' | '−' => 0.361,
            '0'..='9' | '€' => 0.636,
            _ => 0.6,
        })
        .sum();
    em * size * if bold { 1.1 } else { 1.0 }
}

/// Splits a text in lines of at most `max` characters, at spaces.
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

impl Pen {
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.op(Op::Text {
            x,
            y,
            size,
            bold,
            text: text.to_owned(),
        });
    }

    fn op(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
    }

    /// An amount whose right edge is at `right`.
    fn right(&mut self, right: f32, y: f32, size: f32, bold: bool, text: &str) {
        let w = amount_width(text, size, bold);
        self.text(right - w, y, size, bold, text);
    }

    fn rule(&mut self, y: f32) {
        self.op(Op::Rule { y });
    }

    /// Paragraph lines from `y`, wrapped; returns the y after them.
    fn paragraph(&mut self, y: f32, size: f32, text: &str) -> f32 {
        let per_line = ((WIDTH - 2.0 * MARGIN) / (size * 0.52)) as usize;
        let mut y = y;
        for line in wrap(text, per_line) {
            self.text(MARGIN, y, size, false, &line);
            y += size * 1.35;
        }
        y
    }
}

/// "12,00 €" with a sign for a negative amount.
fn money(amount: rust_decimal::Decimal) -> String {
    euros(amount).replace('-', "−")
}

/// The invoice's PDF.
pub fn render(s: &Settings, inv: &Invoice) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(REGULAR.into(), 0).ok_or_else(|| PdfError("police".into()))?;
    let bold = Font::new(BOLD.into(), 0).ok_or_else(|| PdfError("police grasse".into()))?;
    let regie = s.service(super::campaigns::REGIE).or(s.services.first());
    let (regie_name, regie_mail, regie_phone, regie_hours) =
        regie.map_or(("Régie", "", "", ""), |r| {
            (
                r.nom.as_str(),
                r.courriel.as_str(),
                r.telephone.as_str(),
                r.horaires.as_str(),
            )
        });
    let c = &s.commune;
    let title = format!("{} n° {}", inv.kind.label(), inv.numero);
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.clone())
            .language("fr".into())
            .creator(format!("Espace Famille — {}", c.nom)),
    );
    let mut pen = Pen {
        pages: vec![Vec::new()],
    };
    // The régie, then the document's facts on the right.
    let mut y = MARGIN + 12.0;
    pen.text(MARGIN, y, 13.0, true, &c.nom);
    y += 16.0;
    pen.text(MARGIN, y, 10.0, false, regie_name);
    y += 13.0;
    for line in wrap(&c.adresse, 48) {
        pen.text(MARGIN, y, 9.0, false, &line);
        y += 12.0;
    }
    pen.text(
        MARGIN,
        y,
        9.0,
        false,
        &format!("{regie_phone} — {regie_mail}"),
    );
    let facts = [
        ("Émise le", inv.emise_le.format("%d/%m/%Y").to_string()),
        (
            "À régler avant le",
            inv.echeance.format("%d/%m/%Y").to_string(),
        ),
        ("Période", inv.periode.clone()),
        ("Dossier n°", inv.dossier.clone()),
    ];
    let mut fy = MARGIN + 12.0;
    pen.text(340.0, fy, 14.0, true, &title);
    fy += 18.0;
    for (label, value) in &facts {
        pen.text(340.0, fy, 9.5, false, label);
        pen.text(440.0, fy, 9.5, true, value);
        fy += 13.0;
    }
    // The payer.
    y = y.max(fy) + 26.0;
    pen.text(340.0, y, 9.0, false, "Redevable");
    y += 13.0;
    pen.text(340.0, y, 10.5, true, &inv.payeur);
    y += 13.0;
    for line in wrap(&inv.adresse, 42) {
        pen.text(340.0, y, 9.5, false, &line);
        y += 12.0;
    }
    // The lines.
    y += 18.0;
    let header = |pen: &mut Pen, y: f32| {
        let heads = ["Enfant", "Prestation", "Dates"];
        for (i, h) in heads.iter().enumerate() {
            pen.text(COLS[i], y, 8.5, true, h);
        }
        pen.right(COLS[3], y, 8.5, true, "Qté");
        pen.right(COLS[4], y, 8.5, true, "Prix unit.");
        pen.right(COLS[5], y, 8.5, true, "Montant");
        pen.rule(y + 4.0);
        y + 16.0
    };
    y = header(&mut pen, y);
    for l in &inv.lignes {
        let child = wrap(&l.enfant_nom, 17);
        let prestation = wrap(&format!("{} ({})", l.prestation, l.nature), 30);
        let dates = wrap(&l.dates_label(), 22);
        let rows = child.len().max(prestation.len()).max(dates.len());
        let height = rows as f32 * 11.0 + 5.0;
        if y + height > BOTTOM {
            pen.text(MARGIN, BOTTOM + 20.0, 8.0, false, "Suite page suivante.");
            pen.new_page();
            y = header(&mut pen, MARGIN + 12.0);
        }
        for (col, texts) in [(0, &child), (1, &prestation), (2, &dates)] {
            for (i, t) in texts.iter().enumerate() {
                pen.text(COLS[col], y + i as f32 * 11.0, 8.5, false, t);
            }
        }
        pen.right(COLS[3] + 18.0, y, 8.5, false, &l.quantite.to_string());
        pen.right(
            COLS[4] + 20.0,
            y,
            8.5,
            false,
            &money(crate::pricing::to_cents(l.prix)),
        );
        pen.right(COLS[5], y, 8.5, false, &money(l.montant));
        y += height;
    }
    pen.rule(y - 6.0);
    // Totals.
    y += 10.0;
    let totals = [
        ("Total", inv.montant, true),
        (
            if inv.kind == Kind::Avoir {
                "Déjà utilisé"
            } else {
                "Déjà payé"
            },
            inv.paid(),
            false,
        ),
        (
            if inv.kind == Kind::Avoir {
                "Reste à déduire"
            } else {
                "Reste à payer"
            },
            inv.due(),
            true,
        ),
    ];
    for (label, amount, strong) in totals {
        pen.text(380.0, y, 10.0, strong, label);
        pen.right(COLS[5], y, 10.0, strong, &money(amount));
        y += 15.0;
    }
    // How to pay, whom to ask, how to appeal.
    y += 14.0;
    if y + 150.0 > BOTTOM {
        pen.new_page();
        y = MARGIN + 12.0;
    }
    let how = how_to_pay(inv, regie_name, regie_hours, true);
    for (heading, text) in [
        ("Comment régler", how.as_str()),
        (
            "Une erreur ?",
            &format!(
                "Écrivez à la {regie_name} ({regie_mail}, {regie_phone}) en rappelant le numéro de la facture et du dossier : une facture erronée est corrigée par un avoir ou une régularisation sur la facture suivante."
            ),
        ),
        (
            "Voies de recours",
            "Vous pouvez contester cette somme dans un délai de deux mois à compter de sa réception (article L1617-5 du code général des collectivités territoriales) : devant le tribunal judiciaire pour les services de restauration et d'accueil, après une réclamation écrite auprès de la mairie si vous le souhaitez.",
        ),
    ] {
        pen.text(MARGIN, y, 10.0, true, heading);
        y = pen.paragraph(y + 14.0, 8.5, text) + 8.0;
    }
    let count = pen.pages.len();
    for (i, page) in pen.pages.iter_mut().enumerate() {
        page.push(Op::Text {
            x: MARGIN,
            y: HEIGHT - 30.0,
            size: 7.5,
            bold: false,
            text: format!(
                "{} — {} — {} — page {}/{count}",
                c.nom,
                c.portail,
                inv.numero,
                i + 1
            ),
        });
    }
    for ops in &pen.pages {
        draw(&mut doc, ops, &regular, &bold)?;
    }
    doc.finish().map_err(|e| PdfError(format!("{e:?}")))
}

/// Draws one page's operations.
fn draw(doc: &mut Document, ops: &[Op], regular: &Font, bold: &Font) -> Result<(), PdfError> {
    let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| PdfError("page".into()))?;
    let mut page = doc.start_page_with(settings);
    let mut surface = page.surface();
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                bold: strong,
                text,
            } => surface.draw_text(
                Point::from_xy(*x, *y),
                if *strong {
                    bold.clone()
                } else {
                    regular.clone()
                },
                *size,
                text,
                false,
                TextDirection::Auto,
            ),
            Op::Rule { y } => {
                let mut pb = PathBuilder::new();
                if let Some(rect) = Rect::from_xywh(MARGIN, *y, WIDTH - 2.0 * MARGIN, 0.6) {
                    pb.push_rect(rect);
                }
                if let Some(path) = pb.finish() {
                    surface.set_fill(Some(Fill {
                        paint: rgb::Color::new(90, 90, 90).into(),
                        opacity: NormalizedF32::ONE,
                        rule: Default::default(),
                    }));
                    surface.draw_path(&path);
                    surface.set_fill(Some(Fill::default()));
                }
            }
        }
    }
    surface.finish();
    page.finish();
    Ok(())
}

/// The "how to pay" paragraph: direct debit, online, or at the régie; an
/// invoice handed to the Trésor public is paid there.
/// `online`: whether paying online is offered to this family (not to one
/// on direct debit).
pub fn how_to_pay(inv: &Invoice, regie: &str, hours: &str, online: bool) -> String {
    if inv.kind == Kind::Avoir {
        return "Cet avoir est déduit de vos prochaines factures.".into();
    }
    if inv.transmise_le.is_some() {
        return "Cette facture a été transmise au Trésor public : réglez-la auprès du centre des finances publiques indiqué sur l'avis des sommes à payer que vous recevrez.".into();
    }
    let mut text = String::new();
    if let Some(d) = inv.prelevement_le {
        text.push_str(&format!(
            "Prélèvement automatique le {} sur le compte de votre mandat. ",
            d.format("%d/%m/%Y")
        ));
    } else {
        if online {
            text.push_str(
                "En ligne par carte bancaire depuis votre Espace Famille (rubrique « Factures »). ",
            );
        }
        text.push_str(&format!(
            "À la {regie} ({hours}) en espèces, par chèque à l'ordre du Trésor public ou en CESU, avec le numéro de la facture. "
        ));
    }
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_wrap_at_spaces() {
        assert_eq!(wrap("3/11, 4/11, 6/11", 11), vec!["3/11, 4/11,", "6/11"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn an_invoice_renders_to_a_pdf() {
        let s = crate::settings::embedded();
        let pdf = render(s, &crate::demo::invoice()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 200_000, "{} octets", pdf.len());
    }
}
