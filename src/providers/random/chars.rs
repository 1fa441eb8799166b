//! `random_string` / `random_password` generation, as hashicorp/random does it: the `min_*`
//! characters first, each from its own set, the rest from every enabled set, then shuffled.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC: &str = "0123456789";
/// The provider's default special characters.
pub const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// What the string is made of.
pub struct Params {
    pub length: usize,
    pub upper: bool,
    pub lower: bool,
    pub numeric: bool,
    pub special: bool,
    pub min_upper: usize,
    pub min_lower: usize,
    pub min_numeric: usize,
    pub min_special: usize,
    /// Replaces [`SPECIAL`] when non-empty.
    pub override_special: String,
}

impl Params {
    fn specials(&self) -> &str {
        if self.override_special.is_empty() {
            SPECIAL
        } else {
            &self.override_special
        }
    }
}

/// Checks the parameters: length at least 1 and at least the sum of the minimums, a
/// non-empty character set. The error says which rule failed.
pub fn check(p: &Params) -> Result<(), String> {
    if p.length < 1 {
        return Err("`length` must be at least 1".into());
    }
    let mins = p.min_upper + p.min_lower + p.min_numeric + p.min_special;
    if p.length < mins {
        return Err(format!(
            "`length` ({}) must be at least min_upper + min_lower + min_numeric + min_special ({mins})",
            p.length
        ));
    }
    if !(p.upper || p.lower || p.numeric || p.special) {
        return Err("at least one of upper, lower, numeric and special must be true".into());
    }
    if p.min_special > 0 && p.specials().is_empty() {
        return Err("`min_special` needs special characters".into());
    }
    Ok(())
}

fn draw(set: &[char], n: usize, rng: &mut impl Rng, out: &mut Vec<char>) {
    out.extend((0..n).filter_map(|_| set.choose(rng).copied()));
}

/// A random string for checked parameters.
pub fn generate(p: &Params, rng: &mut impl Rng) -> String {
    let specials: Vec<char> = p.specials().chars().collect();
    let sets: [(Vec<char>, bool, usize); 4] = [
        (UPPER.chars().collect(), p.upper, p.min_upper),
        (LOWER.chars().collect(), p.lower, p.min_lower),
        (NUMERIC.chars().collect(), p.numeric, p.min_numeric),
        (specials, p.special, p.min_special),
    ];
    let mut out = Vec::with_capacity(p.length);
    for (set, _, min) in &sets {
        draw(set, *min, rng, &mut out);
    }
    let all: Vec<char> = sets
        .iter()
        .filter(|(_, on, _)| *on)
        .flat_map(|(set, _, _)| set.iter().copied())
        .collect();
    let rest = p.length.saturating_sub(out.len());
    draw(&all, rest, rng, &mut out);
    out.shuffle(rng);
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(length: usize) -> Params {
        Params {
            length,
            upper: true,
            lower: true,
            numeric: true,
            special: false,
            min_upper: 0,
            min_lower: 0,
            min_numeric: 0,
            min_special: 0,
            override_special: String::new(),
        }
    }

    #[test]
    fn minimums_are_met_and_disabled_sets_unused() {
        let mut p = params(12);
        p.min_numeric = 5;
        p.upper = false;
        let mut rng = rand::rng();
        for _ in 0..50 {
            let s = generate(&p, &mut rng);
            assert_eq!(s.chars().count(), 12);
            assert!(s.chars().filter(char::is_ascii_digit).count() >= 5, "{s}");
            assert!(!s.chars().any(|c| c.is_ascii_uppercase()), "{s}");
        }
    }

    #[test]
    fn override_special_is_used() {
        let mut p = params(20);
        p.special = true;
        p.min_special = 20;
        p.override_special = "_".into();
        assert_eq!(generate(&p, &mut rand::rng()), "_".repeat(20));
    }

    #[test]
    fn impossible_parameters_are_refused() {
        let mut p = params(2);
        p.min_lower = 3;
        assert!(check(&p).is_err());
        assert!(check(&params(0)).is_err());
        let mut none = params(4);
        none.upper = false;
        none.lower = false;
        none.numeric = false;
        assert!(check(&none).is_err());
    }
}
