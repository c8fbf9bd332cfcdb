//! Romanisation variant families the name data lacks: Mohammad/Mohammed/Muhammad,
//! Hossein/Hussein, Reza/Rida, Rezaei/Rezaee/Rezaie, -i/-ee/-y, -zadeh joined or
//! split, -pour/-pur/-poor, ou/oo/u, gh/q. Different lists spell one person these
//! ways, which is what the linkage has to see through.

/// Substring families: any member may be written as any other. The flag limits
/// a family to the end of a name (Reza, Alireza), since "Rezaei" never becomes
/// "Ridaei".
const FAMILIES: &[(&[&str], bool)] = &[
    (&["mohammad", "mohammed", "muhammad", "mohamad"], false),
    (&["hossein", "hussein", "hosein", "husain"], false),
    (&["hasan", "hassan"], false),
    (&["reza", "rida", "riza"], true),
    (&["mahdi", "mehdi"], false),
    (&["pour", "pur", "poor"], false),
    (&["zadeh", "zade"], true),
    (&["seyed", "sayyed", "seyyed"], false),
];

/// Other spellings of a Latin name, made by one rule each; never includes `name`.
pub(crate) fn rule_variants(name: &str) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    let push = |s: String, out: &mut Vec<String>| {
        let s = title_case(&s);
        if s != name && !out.contains(&s) {
            out.push(s);
        }
    };

    for &(family, end_only) in FAMILIES {
        for from in family {
            let found = if end_only {
                lower.ends_with(from).then(|| lower.len() - from.len())
            } else {
                lower.find(from)
            };
            if let Some(pos) = found {
                for to in family {
                    if to != from {
                        let mut s = lower.clone();
                        s.replace_range(pos..pos + from.len(), to);
                        push(s, &mut out);
                    }
                }
                break;
            }
        }
    }
    // Ali alone (not inside Alireza) is sometimes written Aly.
    if lower == "ali" {
        push("aly".to_string(), &mut out);
    }
    // Endings: Rezaei/Rezaee/Rezaie/Rezai, and Ahmadi/Ahmadee/Ahmady.
    if let Some(stem) = lower.strip_suffix("ei") {
        for end in ["ee", "ie", "i"] {
            push(format!("{stem}{end}"), &mut out);
        }
    } else if let Some(stem) = lower.strip_suffix('i')
        && stem.len() > 2
        && !stem.ends_with(['a', 'e', 'o', 'u', 'i'])
    {
        for end in ["ee", "y"] {
            push(format!("{stem}{end}"), &mut out);
        }
    }
    // -zadeh joined or split: Hosseinzadeh, Hossein Zadeh, Hossein-zadeh.
    if let Some(stem) = lower.strip_suffix("zadeh")
        && !stem.is_empty()
        && !stem.ends_with([' ', '-'])
    {
        push(format!("{stem} zadeh"), &mut out);
        push(format!("{stem}-zadeh"), &mut out);
    }
    if lower.contains("ou") {
        push(lower.replacen("ou", "oo", 1), &mut out);
        push(lower.replacen("ou", "u", 1), &mut out);
    }
    if let Some(rest) = lower.strip_prefix("gh") {
        push(format!("q{rest}"), &mut out);
    }
    if let Some(stem) = lower.strip_suffix("eh") {
        push(format!("{stem}e"), &mut out);
    }
    out
}

/// Capitalises the first letter of each space-separated word; letters after a
/// hyphen stay as they are, as in "Hossein-zadeh".
pub(crate) fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expect: expect_test::Expect) {
        expect.assert_eq(&rule_variants(name).join(", "));
    }

    #[test]
    fn families_and_endings() {
        check(
            "Mohammad",
            expect_test::expect!["Mohammed, Muhammad, Mohamad"],
        );
        check("Hossein", expect_test::expect!["Hussein, Hosein, Husain"]);
        check("Rezaei", expect_test::expect!["Rezaee, Rezaie, Rezai"]);
        check("Ahmadi", expect_test::expect!["Ahmadee, Ahmady"]);
        check(
            "Hosseinzadeh",
            expect_test::expect![
                "Husseinzadeh, Hoseinzadeh, Husainzadeh, Hosseinzade, Hossein Zadeh, Hossein-zadeh"
            ],
        );
        check("Ali", expect_test::expect!["Aly"]);
        check("Reza", expect_test::expect!["Rida, Riza"]);
        check("Ghasemi", expect_test::expect!["Ghasemee, Ghasemy, Qasemi"]);
        check(
            "Mousavi",
            expect_test::expect!["Mousavee, Mousavy, Moosavi, Musavi"],
        );
    }
}
