//! `random_pet` names: `adverb-…-adjective-animal`, like golang-petname (which hashicorp/random
//! uses), with keyway's own, shorter word lists.

use rand::seq::IndexedRandom;
use rand::Rng;

const ADVERBS: &[&str] = &[
    "ably", "amply", "aptly", "boldly", "briefly", "brightly", "calmly", "closely", "deeply",
    "eagerly", "easily", "fairly", "firmly", "freely", "fully", "gently", "gladly", "greatly",
    "happily", "highly", "kindly", "largely", "lively", "loudly", "merely", "mostly", "neatly",
    "nicely", "openly", "partly", "quickly", "quietly", "rapidly", "really", "simply", "slowly",
    "smoothly", "solely", "surely", "truly", "vastly", "warmly", "wholly", "widely", "wildly",
];

const ADJECTIVES: &[&str] = &[
    "able", "amazed", "big", "bold", "brave", "bright", "calm", "careful", "charming", "clean",
    "clever", "cool", "crisp", "daring", "eager", "easy", "fair", "famous", "fast", "fine", "fit",
    "fluent", "fond", "free", "fresh", "gentle", "glad", "golden", "grand", "happy", "helpful",
    "honest", "humble", "keen", "kind", "large", "lively", "loyal", "lucky", "merry", "modern",
    "neat", "nice", "noble", "patient", "polite", "proud", "quick", "quiet", "rapid", "ready",
    "sharp", "smart", "smooth", "solid", "steady", "sunny", "super", "sweet", "swift", "tender",
    "tidy", "true", "vast", "warm", "wise", "witty", "young",
];

const ANIMALS: &[&str] = &[
    "alpaca", "ant", "badger", "bat", "bear", "beaver", "bee", "bison", "boar", "buffalo", "camel",
    "cat", "cheetah", "cobra", "cod", "colt", "crab", "crane", "crow", "deer", "dog", "dolphin",
    "dove", "duck", "eagle", "eel", "elk", "falcon", "ferret", "finch", "fox", "frog", "gazelle",
    "gecko", "goat", "goose", "gopher", "hare", "hawk", "heron", "horse", "ibex", "jackal",
    "jaguar", "kid", "koala", "lamb", "lark", "lemur", "lion", "llama", "lynx", "mole", "moose",
    "moth", "mouse", "mule", "newt", "otter", "owl", "panda", "parrot", "pelican", "pig", "pony",
    "puma", "quail", "rabbit", "raven", "robin", "salmon", "seal", "shark", "sheep", "skunk",
    "sloth", "snail", "sparrow", "squid", "stork", "swan", "tiger", "toad", "trout", "turtle",
    "viper", "walrus", "wasp", "weasel", "whale", "wolf", "wren", "yak", "zebra",
];

fn pick(words: &[&'static str], rng: &mut impl Rng) -> &'static str {
    words.choose(rng).copied().unwrap_or("pet")
}

/// A pet name of `words` words (at least 1) joined by `separator`.
pub fn name(words: usize, separator: &str, rng: &mut impl Rng) -> String {
    let mut parts: Vec<&str> = Vec::with_capacity(words);
    for _ in 2..words {
        parts.push(pick(ADVERBS, rng));
    }
    if words >= 2 {
        parts.push(pick(ADJECTIVES, rng));
    }
    parts.push(pick(ANIMALS, rng));
    parts.join(separator)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_have_the_asked_number_of_words() {
        let mut rng = rand::rng();
        for n in 1..5 {
            let s = super::name(n, "-", &mut rng);
            assert_eq!(s.split('-').count(), n, "{s}");
            assert!(s.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{s}");
        }
    }
}
