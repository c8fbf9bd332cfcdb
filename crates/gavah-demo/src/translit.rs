//! A simple Persian → Latin transliterator for names the name data gives no
//! Latin spelling for, so that Latin-script lists can still carry them.
//!
//! Persian script leaves short vowels unwritten, so this guesses: an `a` after a
//! word's first consonant when another consonant follows, and an `a` to break up
//! three consonants in a row. The result reads like a plausible romanisation
//! (فرهاد → Farhad, بهرام → Bahram), which is all the demo needs.

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Consonant,
    Vowel,
}

fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'ب' => "b",
        'پ' => "p",
        'ت' | 'ط' => "t",
        'ث' | 'س' | 'ص' => "s",
        'ج' => "j",
        'چ' => "ch",
        'ح' => "h",
        'خ' => "kh",
        'د' => "d",
        'ذ' | 'ز' | 'ض' | 'ظ' => "z",
        'ر' => "r",
        'ژ' => "zh",
        'ش' => "sh",
        'غ' | 'ق' => "gh",
        'ف' => "f",
        'ک' | 'ك' => "k",
        'گ' => "g",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        // Ain carries a vowel but is not written in most romanisations.
        'ع' => "",
        _ => return None,
    })
}

/// How the letter at `i` of `word` reads: its Latin text and whether it is a vowel.
fn letter(word: &[char], i: usize, prev_vowel: bool) -> (&'static str, Kind) {
    let c = word[i];
    let last = i + 1 == word.len();
    let next = word.get(i + 1).copied();
    match c {
        'ا' | 'آ' | 'أ' => {
            // A word-initial alef only carries the vowel of the next letter.
            if i == 0 && next == Some('ی') {
                ("", Kind::Vowel)
            } else if i == 0 && next == Some('و') {
                ("o", Kind::Vowel)
            } else {
                ("a", Kind::Vowel)
            }
        }
        'إ' => ("e", Kind::Vowel),
        'ئ' => ("e", Kind::Vowel),
        'ؤ' => ("o", Kind::Vowel),
        'ء' => ("", Kind::Vowel),
        'و' => {
            if i == 0 || prev_vowel && !(i == 1 && word[0] == 'ا') {
                ("v", Kind::Consonant)
            } else if i == 1 && word[0] == 'ا' {
                ("u", Kind::Vowel)
            } else if matches!(next, Some('ا' | 'ی')) {
                ("v", Kind::Consonant)
            } else {
                ("ou", Kind::Vowel)
            }
        }
        'ی' | 'ي' | 'ى' => {
            if i == 0 || prev_vowel && !last && !(i == 1 && word[0] == 'ا') {
                ("y", Kind::Consonant)
            } else {
                ("i", Kind::Vowel)
            }
        }
        'ه' | 'ة' => {
            if last && !prev_vowel && i > 0 {
                ("eh", Kind::Vowel)
            } else {
                ("h", Kind::Consonant)
            }
        }
        _ => match consonant(c) {
            Some(s) => (s, Kind::Consonant),
            None => ("", Kind::Vowel),
        },
    }
}

/// Whether the letter after `i` will read as a consonant (a guess that ignores
/// its own context beyond position).
fn next_is_consonant(word: &[char], i: usize) -> bool {
    let Some(&n) = word.get(i + 1) else {
        return false;
    };
    match n {
        'ا' | 'آ' | 'أ' | 'إ' | 'ئ' | 'ؤ' | 'ء' | 'ی' | 'ي' | 'ى' => false,
        'و' => matches!(word.get(i + 2), Some('ا' | 'ی')),
        'ه' | 'ة' => i + 2 < word.len(),
        c => consonant(c).is_some(),
    }
}

fn transliterate_word(word: &[char]) -> String {
    let mut out = String::new();
    let mut prev_vowel = false;
    let mut run = 0;
    let mut seen_vowel = false;
    for i in 0..word.len() {
        let (text, kind) = letter(word, i, prev_vowel);
        out.push_str(text);
        match kind {
            Kind::Vowel => {
                prev_vowel = !text.is_empty() || prev_vowel;
                run = 0;
                seen_vowel = seen_vowel || !text.is_empty();
            }
            Kind::Consonant => {
                // A final n, m, l or r after another consonant takes a vowel
                // before it (تهمتن → Tahmatan), as Persian syllables do not end
                // in such a cluster.
                if i + 1 == word.len() && run >= 1 && matches!(text, "n" | "m" | "l" | "r") {
                    let at = out.len() - text.len();
                    out.insert(at, 'a');
                    run = 0;
                }
                prev_vowel = false;
                run += 1;
                if next_is_consonant(word, i) && (!seen_vowel || run >= 2) {
                    out.push('a');
                    prev_vowel = true;
                    seen_vowel = true;
                    run = 0;
                }
            }
        }
    }
    out
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A Latin spelling of a Persian name. Words separated by spaces are capitalised;
/// parts joined by a ZWNJ are written as one word.
pub(crate) fn transliterate(fa: &str) -> String {
    fa.split_whitespace()
        .map(|word| {
            let joined: String = word
                .split('\u{200C}')
                .map(|part| transliterate_word(&part.chars().collect::<Vec<_>>()))
                .collect();
            capitalise(&joined)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_common_romanisations() {
        let got: Vec<String> = [
            "فرهاد",
            "بهرام",
            "کامران",
            "فرزانه",
            "ایمان",
            "نوری",
            "امید",
            "آرش",
            "حسین‌زاده",
            "عباس",
            "تهمتن",
        ]
        .iter()
        .map(|n| transliterate(n))
        .collect();
        expect_test::expect![[r#"
            [
                "Farhad",
                "Bahram",
                "Kamran",
                "Farzaneh",
                "Iman",
                "Nouri",
                "Amid",
                "Arsh",
                "Hasinzadeh",
                "Abas",
                "Tahmatan",
            ]
        "#]]
        .assert_debug_eq(&got);
    }
}
