//! The noise real lists carry: typing slips, Arabic-keyboard letters in Persian
//! text, compound names written joined, with a space or with a ZWNJ, and Persian
//! digits.

use rand::Rng;

pub(crate) const ZWNJ: char = '\u{200C}';

/// Swaps two neighbouring letters, drops one or doubles one: the slips a person
/// makes typing a name from a photo of a handwritten list.
pub(crate) fn typo<R: Rng>(rng: &mut R, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    // Only letters are touched, so a slip never merges or splits words.
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    if letters.len() < 4 {
        return text.to_string();
    }
    // The first letter is kept: people rarely get it wrong, and blocking on it is
    // common, so a slip there would make the demo harsher than real lists.
    let at = letters[rng.random_range(1..letters.len())];
    let mut out = chars.clone();
    match rng.random_range(0..3) {
        0 if at + 1 < chars.len()
            && chars[at + 1].is_alphabetic()
            && chars[at] != chars[at + 1] =>
        {
            out.swap(at, at + 1);
        }
        1 => {
            out.remove(at);
        }
        _ => out.insert(at, chars[at]),
    }
    out.into_iter().collect()
}

/// Arabic yeh and kaf in place of the Persian letters, as an Arabic keyboard
/// layout types them.
pub(crate) fn arabic_letters(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ی' => 'ي',
            'ک' => 'ك',
            c => c,
        })
        .collect()
}

/// How a writer joins the parts of a compound name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Join {
    Zwnj,
    Space,
    Solid,
}

impl Join {
    pub fn draw<R: Rng>(rng: &mut R, zwnj: f64, space: f64) -> Join {
        let x = rng.random::<f64>();
        if x < zwnj {
            Join::Zwnj
        } else if x < zwnj + space {
            Join::Space
        } else {
            Join::Solid
        }
    }

    pub fn glue(self) -> &'static str {
        match self {
            Join::Zwnj => "\u{200C}",
            Join::Space => " ",
            Join::Solid => "",
        }
    }
}

/// Rewrites the ZWNJs and spaces inside a Persian name in the writer's style:
/// حسین‌زاده, حسین زاده or حسینزاده.
pub(crate) fn rejoin(text: &str, join: Join) -> String {
    text.replace([ZWNJ, ' '], join.glue())
}

/// ASCII digits as Persian digits (۰–۹).
pub(crate) fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => char::from_u32(0x06F0 + d).unwrap_or(c),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn script_noise() {
        assert_eq!(persian_digits("1404/10/18"), "۱۴۰۴/۱۰/۱۸");
        assert_eq!(arabic_letters("کریمی"), "كريمي");
        assert_eq!(rejoin("حسین\u{200C}زاده", Join::Space), "حسین زاده");
        assert_eq!(rejoin("حسین زاده", Join::Solid), "حسینزاده");
    }

    #[test]
    fn typos_change_one_letter_and_keep_the_first() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let t = typo(&mut rng, "Mohammad Rezaei");
            assert!(t.starts_with('M'));
            let diff = t.chars().count() as i64 - 15;
            assert!(diff.abs() <= 1, "{t}");
        }
        assert_eq!(typo(&mut rng, "Ali"), "Ali");
    }
}
