//! Builds the static site into a folder, for publishing to S3:
//! `cargo run -p site -- OUT_DIR` (default `dist/site`).

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dist/site".into());
    let report = site::build(std::path::Path::new(&out))?;
    println!("{} pages écrites dans {out}", report.pages);
    Ok(())
}
