//! Name keys that put Persian and Latin spellings of a name on one footing: a
//! transliteration key with variant families folded, and a phonetic skeleton.
//!
//! The key is built token by token. A Persian token is looked up in a small
//! hand-written table of common names (or split into two known parts, for
//! compounds such as امیرحسین), else transliterated letter by letter. A Latin
//! token is lower-cased, stripped of accents and folded to the canonical member
//! of its variant family (Mohammed, Muhammad → mohammad), with regular suffixes
//! (-zadeh, -pour, -nejad, -i, -ei) split off and folded too. Honorific prefixes
//! (Seyed, Sayyed, Haj, سید) are dropped when other tokens remain. Tokens are then
//! joined without separators, so "Hossein Zadeh", "Hossein-zadeh" and
//! حسین‌زاده share a key.
//!
//! The phonetic key reduces a name to what survives transliteration: short
//! vowels (a, e, o) go, because Persian script does not write them; long vowels
//! stay as `i` and `v` (ی and و); letters that Persian spells with several
//! Arabic letters or Latin with digraphs fold to one symbol (kh, gh/q, sh, ch,
//! zh, w/v, ou/oo/u, ee/ei/y/i); doubled symbols collapse. A final a, which
//! Persian writes with ا, is kept, and so is a final e written ه (Zahra zhra,
//! Zohreh zhre, Mehdi mhdi, Mahdieh mhdie). It keeps Hossein and
//! Hassan apart (hsin, hsn), and Mohammad and Mahmoud (mhmd, mhmvd).

use gavah_core::normalize::{is_arabic_script, normalize_text};
use rustc_hash::FxHashMap;
use std::sync::OnceLock;

/// One variant family: the canonical Latin spelling, its Persian spellings and
/// other Latin spellings. Written by hand for this crate from common usage.
struct Family {
    canonical: &'static str,
    persian: &'static [&'static str],
    latin: &'static [&'static str],
}

const fn fam(
    canonical: &'static str,
    persian: &'static [&'static str],
    latin: &'static [&'static str],
) -> Family {
    Family {
        canonical,
        persian,
        latin,
    }
}

/// Common Iranian given names, surnames and name parts. Only spellings that
/// are unambiguous variants of one name belong here: "said" is left out because
/// it is both Saeed and a spelling of the title Seyed.
const FAMILIES: &[Family] = &[
    fam(
        "mohammad",
        &["محمد"],
        &[
            "mohammed",
            "muhammad",
            "mohamad",
            "mohamed",
            "muhammed",
            "mohammod",
            "mahammad",
            "mohamud",
            "muhamad",
            "mohamat",
            "mohammadd",
        ],
    ),
    fam(
        "hossein",
        &["حسین"],
        &[
            "hussein", "hosein", "hosseyn", "husein", "hussain", "husain", "hossain", "hosain",
            "hoseyn", "hosseyn", "hussayn", "hosayn", "hossin",
        ],
    ),
    fam("hassan", &["حسن"], &["hasan", "hassen"]),
    fam("ali", &["علی"], &["aly", "alee", "aliy"]),
    fam("reza", &["رضا"], &["rezaa", "riza", "ridha"]),
    fam("alireza", &["علیرضا"], &["alirez", "aliriza"]),
    fam("mehdi", &["مهدی"], &["mahdi", "mehdy", "mahdy", "mehdee"]),
    fam(
        "fatemeh",
        &["فاطمه"],
        &[
            "fatima", "fatemah", "fateme", "fatimeh", "fatema", "fatimah", "fatemeh",
        ],
    ),
    fam("zahra", &["زهرا"], &["zahraa", "zehra", "zahrah"]),
    fam(
        "abolfazl",
        &["ابوالفضل"],
        &["abulfazl", "abolfazel", "abolfadl", "abulfadl"],
    ),
    fam("mahmoud", &["محمود"], &["mahmood", "mahmud", "mahmod"]),
    fam("ahmad", &["احمد"], &["ahmed", "ahmet"]),
    fam("mohsen", &["محسن"], &["muhsin", "mohsin", "mohsan"]),
    fam("javad", &["جواد"], &["jawad", "javaad"]),
    fam("jafar", &["جعفر"], &["jaafar", "jafer", "djafar"]),
    fam("amir", &["امیر"], &["ameer", "emir"]),
    fam("hamid", &["حمید"], &["hameed", "hamyd"]),
    fam("saeed", &["سعید"], &["saeid", "saied", "saiid", "saeedd"]),
    fam("majid", &["مجید"], &["majeed", "madjid"]),
    fam(
        "mostafa",
        &["مصطفی"],
        &["mustafa", "moustafa", "mostapha", "mustapha", "mostafah"],
    ),
    fam(
        "morteza",
        &["مرتضی"],
        &["murtaza", "mortaza", "murteza", "murtada"],
    ),
    fam("mojtaba", &["مجتبی"], &["mujtaba", "mojtabah"]),
    fam(
        "masoud",
        &["مسعود"],
        &["masood", "masud", "massoud", "masood", "massud"],
    ),
    fam(
        "yousef",
        &["یوسف"],
        &[
            "yusuf", "yousof", "yosef", "yusef", "yousuf", "yoosef", "yousif",
        ],
    ),
    fam(
        "ebrahim",
        &["ابراهیم"],
        &["ibrahim", "ebrahem", "ibraheem", "ebraheem"],
    ),
    fam(
        "esmaeil",
        &["اسماعیل"],
        &[
            "ismail", "esmail", "esmaeel", "ismaeil", "esmaiel", "ismaeel",
        ],
    ),
    fam("abbas", &["عباس"], &["abas", "abbass"]),
    fam("kazem", &["کاظم"], &["kazim", "kadhim", "kazem"]),
    fam("hadi", &["هادی"], &["haadi", "hady"]),
    fam(
        "mahdieh",
        &["مهدیه"],
        &["mahdiyeh", "mahdiye", "mehdieh", "mahdia"],
    ),
    fam(
        "maryam",
        &["مریم"],
        &["mariam", "maryem", "meryem", "mariyam"],
    ),
    fam(
        "zeinab",
        &["زینب"],
        &["zaynab", "zainab", "zeynab", "zeinap"],
    ),
    fam("narges", &["نرگس"], &["nargis", "narjes"]),
    fam(
        "masoumeh",
        &["معصومه"],
        &["masumeh", "masoume", "masoomeh", "masoumah", "masuma"],
    ),
    fam("sakineh", &["سکینه"], &["sakina", "sakine", "sakinah"]),
    fam(
        "roghayeh",
        &["رقیه"],
        &["roqayeh", "ruqayya", "roghaye", "roqaye", "roghayyeh"],
    ),
    fam(
        "khadijeh",
        &["خدیجه"],
        &["khadija", "khadije", "khadijah", "khadidjeh"],
    ),
    fam(
        "leila",
        &["لیلا", "لیلی"],
        &["leyla", "layla", "laila", "leyli"],
    ),
    fam("sara", &["سارا"], &["sarah", "saara"]),
    fam("hamed", &["حامد"], &["haamed"]),
    fam("vahid", &["وحید"], &["waheed", "vaheed", "wahid"]),
    fam("navid", &["نوید"], &["naveed", "nawid"]),
    fam("omid", &["امید"], &["omeed", "umid"]),
    fam("pouya", &["پویا"], &["puya", "pooya", "pouyah"]),
    fam(
        "kourosh",
        &["کوروش", "کورش"],
        &["kurosh", "koorosh", "kourush"],
    ),
    fam("nasrin", &["نسرین"], &["nasreen"]),
    fam("shirin", &["شیرین"], &["shireen"]),
    fam("parisa", &["پریسا"], &["parissa"]),
    fam("mahsa", &["مهسا"], &["mahssa"]),
    fam("nika", &["نیکا"], &["neka", "nikah"]),
    fam("yasin", &["یاسین"], &["yaseen", "yassin"]),
    fam("amin", &["امین"], &["ameen"]),
    fam("karim", &["کریم"], &["kareem"]),
    fam("rahim", &["رحیم"], &["raheem"]),
    fam("hashem", &["هاشم"], &["hashim"]),
    fam(
        "ghasem",
        &["قاسم"],
        &["qasem", "ghassem", "qassem", "kasem", "qasim"],
    ),
    fam("sadegh", &["صادق"], &["sadeq", "sadiq", "sadek"]),
    fam("mousa", &["موسی"], &["musa", "moosa", "mussa"]),
    fam("heidar", &["حیدر"], &["heydar", "haidar", "haydar"]),
    fam("ghorban", &["قربان"], &["qorban", "ghurban"]),
    fam(
        "nejad",
        &["نژاد"],
        &["nezhad", "nejhad", "nijad", "nejaad", "nejat"],
    ),
    fam("zadeh", &["زاده"], &["zade", "zada", "zaadeh", "zadah"]),
    fam("pour", &["پور"], &["poor", "pur"]),
    fam(
        "rezaei",
        &["رضایی", "رضائی"],
        &["rezaee", "rezaie", "rezayi", "rezai", "rezaii", "razayi"],
    ),
    fam(
        "mousavi",
        &["موسوی"],
        &["musavi", "moosavi", "mousawi", "mosavi", "mussavi"],
    ),
    fam(
        "hosseini",
        &["حسینی"],
        &[
            "husseini", "hoseini", "hosseiny", "husaini", "hussaini", "hosaini",
        ],
    ),
    fam(
        "mohammadi",
        &["محمدی"],
        &["mohamadi", "muhammadi", "mohammedi", "mohamedi"],
    ),
    fam("ahmadi", &["احمدی"], &["ahmedi", "ahmady"]),
    fam("jafari", &["جعفری"], &["jafary", "djafari", "jaafari"]),
    fam(
        "heidari",
        &["حیدری"],
        &["heydari", "haidari", "haydari", "heidary"],
    ),
    fam(
        "ghasemi",
        &["قاسمی"],
        &["qasemi", "ghassemi", "kasemi", "qassemi"],
    ),
    fam("sadeghi", &["صادقی"], &["sadeqi", "sadighi", "sadeghy"]),
    fam("hashemi", &["هاشمی"], &["hashimi"]),
    fam("ghorbani", &["قربانی"], &["qorbani", "ghurbani", "gorbani"]),
    fam("karimi", &["کریمی"], &["kareemi"]),
    fam("rahimi", &["رحیمی"], &["raheemi"]),
    fam("moradi", &["مرادی"], &["muradi", "mouradi"]),
    fam("najafi", &["نجفی"], &["nadjafi"]),
    fam("kazemi", &["کاظمی"], &["kazimi", "kadhimi"]),
    fam("amini", &["امینی"], &["ameeni"]),
    fam("akbari", &["اکبری"], &["akbary"]),
    fam(
        "esmaeili",
        &["اسماعیلی"],
        &["esmaili", "ismaili", "esmaeeli"],
    ),
    fam("ebrahimi", &["ابراهیمی"], &["ibrahimi"]),
    fam("abbasi", &["عباسی"], &["abasi", "abbassi"]),
    fam("rostami", &["رستمی"], &["rustami"]),
    fam("salehi", &["صالحی"], &["salihi"]),
    fam(
        "mirzaei",
        &["میرزایی", "میرزائی"],
        &["mirzaee", "mirzaie", "mirzayi", "mirzai"],
    ),
    fam("yousefi", &["یوسفی"], &["yusufi", "yousofi", "yoosefi"]),
    fam("nouri", &["نوری"], &["noori", "nuri"]),
    fam(
        "abdollah",
        &["عبدالله"],
        &["abdullah", "abdolah", "abdulla", "abdola"],
    ),
    fam("nazanin", &["نازنین"], &["nazaneen"]),
    fam("kobra", &["کبری"], &["kubra"]),
    fam("soghra", &["صغری"], &["soqra", "sughra"]),
    fam("tahereh", &["طاهره"], &["tahere", "tahira", "tahereh"]),
    fam("mansour", &["منصور"], &["mansoor", "mansur"]),
    fam("jamshid", &["جمشید"], &["jamsheed"]),
    fam("farhad", &["فرهاد"], &["farhaad"]),
    fam("behrouz", &["بهروز"], &["behruz", "behrooz"]),
    fam(
        "fereydoun",
        &["فریدون"],
        &["fereidoun", "fereydoon", "feridun", "fereidoon"],
    ),
    fam("khosrow", &["خسرو"], &["khosro", "khusro", "khosrou"]),
    fam("siavash", &["سیاوش"], &["siyavash", "siavosh", "siawash"]),
];

/// Honorific prefixes dropped from a name when other tokens remain: they are
/// written by some lists and left out by others.
const TITLES: &[&str] = &[
    "seyed", "seyyed", "sayyed", "sayed", "seyd", "syed", "sayyid", "seyyid", "seyedeh",
    "seyyedeh", "sayyedeh", "haj", "hajj", "haji", "hajji", "سید", "سیده", "حاج", "حاجی",
];

/// Latin suffixes split off a token whose whole form is not a known name, so
/// that the stem can be folded ("husseinzadeh" → hossein + zadeh).
const LATIN_SUFFIXES: &[&str] = &[
    "zadeh", "zade", "pour", "poor", "nejad", "nezhad", "i", "ei", "ee", "ie", "y",
];

struct Tables {
    persian: FxHashMap<&'static str, &'static str>,
    latin: FxHashMap<&'static str, &'static str>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut persian = FxHashMap::default();
        let mut latin = FxHashMap::default();
        for f in FAMILIES {
            latin.insert(f.canonical, f.canonical);
            for l in f.latin {
                latin.insert(*l, f.canonical);
            }
            for p in f.persian {
                persian.insert(*p, f.canonical);
            }
        }
        Tables { persian, latin }
    })
}

/// A name prepared for comparison: the display form, the transliteration key
/// and the phonetic key, each computed once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKeys {
    /// The display form (`normalize_text`): kept so a reviewer sees what was written.
    pub original: String,
    /// Canonical Latin tokens joined without separators.
    pub key: String,
    /// The canonical tokens, in order, for token-level comparisons.
    pub tokens: Vec<String>,
    /// The phonetic skeleton of the whole name.
    pub phonetic: String,
}

/// Prepares a name (any script) for comparison.
pub fn name_keys(text: &str) -> NameKeys {
    let original = normalize_text(text);
    let mut raw: Vec<&str> = original
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '\u{200C}' | '_' | '.' | ',' | '/'))
        .filter(|t| !t.is_empty())
        .collect();
    if raw.len() > 1 {
        let kept: Vec<&str> = raw
            .iter()
            .copied()
            .filter(|t| !TITLES.contains(&fold_latin(t).as_str()) && !TITLES.contains(t))
            .collect();
        if !kept.is_empty() {
            raw = kept;
        }
    }
    let mut tokens = Vec::with_capacity(raw.len());
    let mut phonetic = String::new();
    for t in raw {
        let (canon, phon) = token_keys(t);
        if canon.is_empty() {
            continue;
        }
        tokens.push(canon);
        phonetic.push_str(&phon);
    }
    let key = tokens.concat();
    NameKeys {
        original,
        key,
        tokens,
        phonetic: collapse_runs(&phonetic),
    }
}

/// The transliteration key of a name: canonical Latin tokens joined.
pub fn translit_key(text: &str) -> String {
    name_keys(text).key
}

/// The phonetic key of a name.
pub fn phonetic_key(text: &str) -> String {
    name_keys(text).phonetic
}

/// The canonical form and phonetic skeleton of one token.
fn token_keys(token: &str) -> (String, String) {
    if is_arabic_script(token) {
        let key = gavah_core::normalize::match_key(token);
        if let Some(c) = persian_canonical(&key) {
            let phon = latin_skeleton(&c);
            return (c, phon);
        }
        return (persian_to_latin(&key), persian_skeleton(&key));
    }
    let folded = fold_latin(token);
    let canon = latin_canonical(&folded);
    let phon = latin_skeleton(&canon);
    (canon, phon)
}

/// A Persian token (as a match key) in the family table, or split into two
/// known parts (امیرحسین → amir + hossein, حسینی → hossein + i).
fn persian_canonical(key: &str) -> Option<String> {
    let t = tables();
    if let Some(c) = t.persian.get(key) {
        return Some((*c).to_string());
    }
    let chars: Vec<(usize, char)> = key.char_indices().collect();
    for &(i, _) in chars.iter().skip(2) {
        let (a, b) = key.split_at(i);
        if let (Some(x), Some(y)) = (t.persian.get(a), t.persian.get(b)) {
            return Some(format!("{x}{y}"));
        }
    }
    // A known stem with the adjective suffix ی (-i): حسینی, کاظمی.
    if let Some(stem) = key.strip_suffix('ی')
        && let Some(c) = t.persian.get(stem)
    {
        return Some(format!("{c}i"));
    }
    None
}

/// Lower-case ASCII letters of a Latin token, accents removed.
fn fold_latin(token: &str) -> String {
    let key = gavah_core::normalize::match_key(token);
    key.chars().filter(char::is_ascii_alphabetic).collect()
}

/// The canonical member of a Latin token's variant family, splitting off a
/// regular suffix when the whole token is not known.
fn latin_canonical(folded: &str) -> String {
    let t = tables();
    if let Some(c) = t.latin.get(folded) {
        return (*c).to_string();
    }
    for suffix in LATIN_SUFFIXES {
        if let Some(stem) = folded.strip_suffix(suffix)
            && stem.len() >= 3
            && let Some(c) = t.latin.get(stem)
        {
            let s = match *suffix {
                "zade" | "zadeh" => "zadeh",
                "poor" | "pour" => "pour",
                "nezhad" | "nejad" => "nejad",
                _ => "i",
            };
            return format!("{c}{s}");
        }
    }
    // The -ei ending of surnames such as Rezaei is written -aee, -aie, -ayi, -ai.
    for ending in ["aee", "aie", "ayi", "aii", "ayee", "aei"] {
        if let Some(stem) = folded.strip_suffix(ending)
            && stem.len() >= 3
        {
            return format!("{stem}aei");
        }
    }
    folded.to_string()
}

/// A letter-by-letter reading of a Persian token not in the table. Short
/// vowels are not written, so this is closer to a consonant skeleton than to a
/// spoken form; it is stable across Persian spellings of the same name.
fn persian_to_latin(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let n = key.chars().count();
    for (i, c) in key.chars().enumerate() {
        let s = match c {
            'ا' | 'آ' | 'أ' | 'إ' => "a",
            'ب' => "b",
            'پ' => "p",
            'ت' | 'ط' => "t",
            'ث' | 'س' | 'ص' => "s",
            'ج' => "j",
            'چ' => "ch",
            'ح' => "h",
            'ه' if i + 1 == n && n > 1 => "eh",
            'ه' => "h",
            'خ' => "kh",
            'د' => "d",
            'ذ' | 'ز' | 'ض' | 'ظ' => "z",
            'ر' => "r",
            'ژ' => "zh",
            'ش' => "sh",
            'ع' | 'ء' => "",
            'غ' | 'ق' => "gh",
            'ف' => "f",
            'ک' => "k",
            'گ' => "g",
            'ل' => "l",
            'م' => "m",
            'ن' => "n",
            'و' | 'ؤ' if i == 0 => "v",
            'و' | 'ؤ' => "ou",
            'ی' | 'ئ' if i == 0 => "y",
            'ی' | 'ئ' => "i",
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                ""
            }
            _ => "",
        };
        out.push_str(s);
    }
    out
}

/// The phonetic skeleton of a Persian token read from its letters.
fn persian_skeleton(key: &str) -> String {
    let n = key.chars().count();
    let mut out = String::with_capacity(n);
    for (i, c) in key.chars().enumerate() {
        let s = match c {
            'ا' | 'آ' if i + 1 == n && n > 1 => 'a',
            'ب' => 'b',
            'پ' => 'p',
            'ت' | 'ط' => 't',
            'ث' | 'س' | 'ص' => 's',
            'ج' => 'j',
            'چ' => 'C',
            'ح' => 'h',
            // A final ه after a letter is the vowel e (فاطمه), not h.
            'ه' if i + 1 == n && n > 1 => 'e',
            'ه' => 'h',
            'خ' => 'x',
            'د' => 'd',
            'ذ' | 'ز' | 'ض' | 'ظ' => 'z',
            'ر' => 'r',
            'ژ' => 'Z',
            'ش' => 'S',
            'غ' | 'ق' => 'q',
            'ف' => 'f',
            'ک' => 'k',
            'گ' => 'g',
            'ل' => 'l',
            'م' => 'm',
            'ن' => 'n',
            'و' | 'ؤ' => 'v',
            'ی' | 'ئ' => 'i',
            c if c.is_ascii_digit() => c,
            _ => continue,
        };
        out.push(s);
    }
    collapse_runs(&out)
}

/// The phonetic skeleton of a folded Latin token.
pub fn latin_skeleton(word: &str) -> String {
    let b = word.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let two = |x: u8| next == Some(x);
        let (sym, step) = match c {
            b'k' if two(b'h') => (Some('x'), 2),
            b'g' if two(b'h') => (Some('q'), 2),
            b's' if two(b'h') => (Some('S'), 2),
            b'c' if two(b'h') => (Some('C'), 2),
            b'z' if two(b'h') => (Some('Z'), 2),
            b'p' if two(b'h') => (Some('f'), 2),
            b't' if two(b'h') => (Some('t'), 2),
            b'd' if two(b'h') => (Some('z'), 2),
            b'd' if two(b'j') => (Some('j'), 2),
            b'c' if two(b'k') => (Some('k'), 2),
            b'o' if two(b'u') || two(b'o') => (Some('v'), 2),
            b'e' if two(b'e') => (Some('i'), 2),
            b'q' => (Some('q'), 1),
            b'c' => (Some('k'), 1),
            b'w' | b'v' | b'u' => (Some('v'), 1),
            b'y' | b'i' => (Some('i'), 1),
            b'x' => (Some('x'), 1),
            // A final a is written in Persian (رضا, زهرا) and so kept, as is
            // a final e (written ه: فاطمه, Fatemeh, Fateme).
            b'a' if next.is_none() && i > 0 => (Some('a'), 1),
            b'a' if two(b'h') && i + 2 == b.len() && i > 0 => (Some('a'), 2),
            b'e' if next.is_none() && i > 0 => (Some('e'), 1),
            b'e' if two(b'h') && i + 2 == b.len() && i > 0 => (Some('e'), 2),
            // Short vowels are not written in Persian script.
            b'a' | b'e' | b'o' => (None, 1),
            c if c.is_ascii_alphanumeric() => (Some(char::from(c)), 1),
            _ => (None, 1),
        };
        if let Some(s) = sym {
            out.push(s);
        }
        i += step;
    }
    collapse_runs(&out)
}

/// Collapses runs of the same character ("hssin" → "hsin").
fn collapse_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = None;
    for c in s.chars() {
        if Some(c) != last {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(input: &str, expect: Expect) {
        let k = name_keys(input);
        expect.assert_eq(&format!("{} | {}", k.key, k.phonetic));
    }

    #[test]
    fn keys_of_single_names() {
        check("محمد رضایی", expect!["mohammadrezaei | mhmdrzi"]);
        check("Mohammed Rezaie", expect!["mohammadrezaei | mhmdrzi"]);
        check(
            "Seyed Hossein Mousavi",
            expect!["hosseinmousavi | hsinmvsvi"],
        );
        check("سید حسین موسوی", expect!["hosseinmousavi | hsinmvsvi"]);
        check("Hossein-Zadeh", expect!["hosseinzadeh | hsinzde"]);
        check("حسین‌زاده", expect!["hosseinzadeh | hsinzde"]);
        check("Husseinzadeh", expect!["hosseinzadeh | hsinzde"]);
        check("امیرحسین", expect!["amirhossein | mirhsin"]);
        check("Amir Hossein", expect!["amirhossein | mirhsin"]);
        check("Seyed", expect!["seyed | sid"]);
        check("رستمی‌پور", expect!["rostamipour | rstmipvr"]);
        check("", expect![" | "]);
    }

    /// Each row is one person's name as different lists write it: all must
    /// share a transliteration key or, failing that, a phonetic key.
    const FAMILIES_MUST_AGREE: &[&[&str]] = &[
        &[
            "محمد", "Mohammad", "Mohammed", "Muhammad", "Mohamad", "Mohamed",
        ],
        &["حسین", "Hossein", "Hussein", "Hosein", "Hosseyn", "Husain"],
        &[
            "رضایی",
            "رضائی",
            "Rezaei",
            "Rezaee",
            "Rezaie",
            "Rezayi",
            "Rezai",
        ],
        &["علی", "Ali", "Aly"],
        &["رضا", "Reza"],
        &["مهدی", "Mehdi", "Mahdi"],
        &["فاطمه", "Fatemeh", "Fatima", "Fateme"],
        &["زهرا", "Zahra"],
        &["ابوالفضل", "Abolfazl", "Abulfazl"],
        &[
            "حسین‌زاده",
            "حسین زاده",
            "Hosseinzadeh",
            "Hossein Zadeh",
            "Hossein-zadeh",
            "Husseinzadeh",
        ],
        &[
            "سید علی",
            "Seyed Ali",
            "Sayyed Ali",
            "Seyyed Ali",
            "Sayed Ali",
            "Ali",
        ],
        &["حسینی", "Hosseini", "Husseini", "Hoseini"],
        &["موسوی", "Mousavi", "Musavi", "Moosavi"],
        &[
            "محمدرضا",
            "محمد رضا",
            "Mohammadreza",
            "Mohammad Reza",
            "Mohammed-Reza",
        ],
        &["مصطفی", "Mostafa", "Mustafa"],
        &["یوسف", "Yousef", "Yusuf", "Yousof"],
        &["قاسمی", "Ghasemi", "Qasemi"],
        &["نرگس", "Narges"],
        // Not in the table: agreement must come from the phonetic key.
        &["بهزاد", "Behzad"],
        &["سعیدی", "Saeedi", "Saeidi"],
        &["خدادادی", "Khodadadi"],
        &["شریفی", "Sharifi", "Shareefi"],
        &["نوروزی", "Nowruzi", "Nourouzi"],
    ];

    const MUST_DIFFER: &[(&str, &str)] = &[
        ("Ali", "Alireza"),
        ("علی", "علیرضا"),
        ("Hossein", "Hassan"),
        ("حسین", "حسن"),
        ("Mohammad", "Mahmoud"),
        ("محمد", "محمود"),
        ("Hosseini", "Hassani"),
        ("Reza", "Rezaei"),
        ("Fatemeh", "Fattah"),
        ("Zahra", "Zohreh"),
        ("Mehdi", "Mahdieh"),
        ("Ahmad", "Ahmadi"),
    ];

    fn agree(a: &str, b: &str) -> bool {
        let (x, y) = (name_keys(a), name_keys(b));
        x.key == y.key || x.phonetic == y.phonetic
    }

    #[test]
    fn variant_families_agree() {
        let mut failures = Vec::new();
        for family in FAMILIES_MUST_AGREE {
            for a in *family {
                for b in *family {
                    if !agree(a, b) {
                        failures.push(format!(
                            "{a} ({:?}) vs {b} ({:?})",
                            name_keys(a),
                            name_keys(b)
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn in_table_families_share_the_translit_key() {
        for family in &FAMILIES_MUST_AGREE[..18] {
            let keys: Vec<String> = family.iter().map(|n| translit_key(n)).collect();
            assert!(keys.iter().all(|k| *k == keys[0]), "{family:?} → {keys:?}");
        }
    }

    #[test]
    fn different_names_differ() {
        for (a, b) in MUST_DIFFER {
            let (x, y) = (name_keys(a), name_keys(b));
            assert_ne!(x.key, y.key, "{a} vs {b}");
            assert_ne!(x.phonetic, y.phonetic, "{a} vs {b}: {x:?} {y:?}");
        }
    }

    #[test]
    fn skeleton_rules() {
        let s = |w: &str| latin_skeleton(w);
        assert_eq!(s("khadijeh"), "xdije");
        assert_eq!(s("ghasem"), s("qasem"));
        assert_eq!(s("javad"), s("jawad"));
        assert_eq!(s("nour"), s("nur"));
        assert_eq!(s("saeed"), "sid");
        assert_eq!(s("hosseyn"), "hsin");
        assert_eq!(persian_skeleton("خدیجه"), "xdije");
        assert_eq!(collapse_runs("aabbba"), "aba");
    }

    #[test]
    fn titles_are_dropped_only_when_something_remains() {
        assert_eq!(translit_key("Seyed Mohammad"), "mohammad");
        assert_eq!(translit_key("سیده زهرا"), "zahra");
        assert_eq!(translit_key("Haj Ali"), "ali");
        assert_eq!(translit_key("Seyed"), "seyed");
    }

    #[test]
    fn zwnj_and_arabic_letters_are_folded() {
        assert_eq!(translit_key("علي"), translit_key("علی"));
        assert_eq!(translit_key("حسين"), "hossein");
        assert_eq!(translit_key("محمد\u{200C}رضا"), "mohammadreza");
    }
}
