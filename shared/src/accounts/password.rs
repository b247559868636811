//! Password hashing (argon2id) and the common-password rule.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane (BENCHMARKS.md).
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of a password (salt and parameters included). CPU-bound:
/// call it from a blocking task.
pub fn hash(password: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let Ok(salt) = SaltString::encode_b64(&bytes) else {
        return String::new();
    };
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Whether a password matches a PHC string. CPU-bound, like [`hash`].
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// At most one hash per core at a time: argon2id is CPU- and memory-bound,
/// and 64 at once on 2 cores thrash the caches (BENCHMARKS.md); the others
/// wait their turn.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    tokio::sync::Semaphore::new(cores)
});

async fn on_hashing_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let _permit = HASHING.acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`hash`] off the async threads, one per core at a time.
pub async fn hash_async(password: String) -> Option<String> {
    on_hashing_pool(move || hash(&password))
        .await
        .filter(|h| !h.is_empty())
}

/// [`verify`] off the async threads, one per core at a time.
pub async fn verify_async(phc: String, password: String) -> bool {
    on_hashing_pool(move || verify(&phc, &password))
        .await
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the account does not
/// exist so that the answer takes as long either way.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("decoy-password-never-used"));
    &DECOY
}

/// French and English passwords that come first in every leaked list, with
/// their usual suffixes stripped before the look-up.
const COMMON: &[&str] = &[
    "123456789012",
    "azerty",
    "azertyuiop",
    "qwerty",
    "qwertyuiop",
    "motdepasse",
    "password",
    "soleil",
    "bonjour",
    "doudou",
    "loulou",
    "chouchou",
    "jetaime",
    "marseille",
    "iloveyou",
    "coucou",
    "nicolas",
    "julien",
    "camille",
    "princesse",
    "football",
    "dragon",
    "monkey",
    "letmein",
    "welcome",
    "admin",
    "administrateur",
    "mairie",
    "famille",
    "espacefamille",
    "enfant",
    "enfants",
    "ecole",
    "cantine",
    "periscolaire",
    "changeme",
    "motdepasse",
    "abcdefghijkl",
    "aaaaaaaaaaaa",
    "000000000000",
    "111111111111",
    "azertyqwerty",
    "trustno1",
    "sunshine",
    "superman",
    "batman",
    "chocolat",
    "vacances",
    "papamaman",
];

/// Whether a password is too common or too easy to guess: in the list above
/// once lower-cased and stripped of trailing digits and symbols, or rated
/// below 3 of 4 by zxcvbn (which knows the leaked-password lists and the
/// user's own inputs).
pub fn is_common_password(password: &str, user_inputs: &[&str]) -> bool {
    let lower = password.to_lowercase();
    let core = lower.trim_end_matches(|c: char| c.is_ascii_digit() || "!?.*@#$&_-".contains(c));
    let core = core.trim_start_matches(|c: char| c.is_ascii_digit());
    if core.is_empty() || COMMON.contains(&core) {
        return true;
    }
    let score = zxcvbn::zxcvbn(password, user_inputs).score();
    u8::from(score) < 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_uses_argon2id_with_owasp_parameters() {
        let phc = hash("Grenadine-tulipe-42-velo");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&phc, "Grenadine-tulipe-42-velo"));
        assert!(!verify(&phc, "grenadine-tulipe-42-velo"));
        assert!(!verify("pas un hash", "x"));
        assert_ne!(phc, hash("Grenadine-tulipe-42-velo"), "salted");
    }

    #[test]
    fn common_passwords() {
        assert!(is_common_password("Azertyuiop2024!", &[]));
        assert!(is_common_password("123456789012", &[]));
        assert!(is_common_password("motdepasse123", &[]));
        assert!(is_common_password("password1234", &[]));
        assert!(!is_common_password("Grenadine-tulipe-42-velo", &[]));
    }
}
