//! How long one argon2id hash takes with the portal's parameters
//! (`cargo bench -p shared --bench password_hash`). A plain timing loop: the
//! figure that matters is one hash's wall time, reported as the median of
//! 20 runs.

use shared::accounts::password::{ITERATIONS, LANES, MEMORY_KIB, hash, verify};
use std::time::Instant;

fn main() {
    let runs = 20;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let phc = hash("Grenadine-tulipe-42-velo");
            let elapsed = start.elapsed().as_secs_f64() * 1000.0;
            assert!(verify(&phc, "Grenadine-tulipe-42-velo"));
            elapsed
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "argon2id m={MEMORY_KIB} KiB t={ITERATIONS} p={LANES}: median {:.1} ms, min {:.1} ms, max {:.1} ms over {runs} hashes",
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
