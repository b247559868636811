//! Builds the static site into a folder, for publishing to S3:
//! `cargo run -p site -- [OUT_DIR] [--url https://famille.ville.fr] [--content DIR]`
//! (default `dist/site`, the URL of the feed and sitemap, `site/content`).

fn main() -> anyhow::Result<()> {
    let mut out = String::from("dist/site");
    let mut options = site::Options {
        content_dir: site::default_content_dir(),
        site_url: std::env::var("EF_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => {
                options.site_url = args
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('/')
                    .to_owned()
            }
            "--content" => options.content_dir = args.next().unwrap_or_default().into(),
            _ => out = arg,
        }
    }
    let started = std::time::Instant::now();
    let report = site::build(std::path::Path::new(&out), &options)?;
    println!(
        "{} pages et {} fichiers écrits dans {out} en {:.2} s",
        report.pages,
        report.files,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
