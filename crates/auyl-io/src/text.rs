//! Text as offices write it: encodings, separators, numbers with decimal commas.

/// Decodes file bytes: UTF-8 (a BOM is dropped) when valid, otherwise Windows-1251, the encoding
/// Excel uses for CSV on Russian and Kazakh Windows. Returns the text and the encoding's name.
pub fn decode_text(bytes: &[u8]) -> (String, &'static str) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (s, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
            (s.into_owned(), "Windows-1251")
        }
    }
}

/// Guesses the field separator from the first line: the most frequent of `;`, tab, `,` and `|`
/// outside quotes (ties go in that order, since a decimal comma makes commas common in data).
pub fn detect_separator(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut counts = [(b';', 0usize), (b'\t', 0), (b',', 0), (b'|', 0)];
    let mut quoted = false;
    for b in first.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map_or(b',', |c| c.0)
}

fn strip_grouping(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' | '_'))
        .collect()
}

/// Parses a real number written with a decimal point or a decimal comma, with spaces (also
/// no-break and thin spaces) as thousands separators: `43,25`, `1 234,5`, `1,234.5`, `-7.5e3`.
/// When both `,` and `.` appear, the last one is the decimal mark.
pub fn parse_real(s: &str) -> Option<f64> {
    let t = strip_grouping(s.trim());
    if t.is_empty() {
        return None;
    }
    let normalised = match (t.rfind(','), t.rfind('.')) {
        (Some(c), Some(d)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (Some(_), None) if t.matches(',').count() == 1 => t.replace(',', "."),
        (Some(_), None) => return None,
        _ => t,
    };
    normalised.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Parses a whole number: `1234`, `1 234`, `1234,0`; in a file without decimal commas also
/// `1,234` (thousands). Returns `None` for fractions and text.
pub fn parse_integer(s: &str, decimal_comma: bool) -> Option<i64> {
    let t = strip_grouping(s.trim());
    if let Ok(i) = t.parse::<i64>() {
        return Some(i);
    }
    if !decimal_comma
        && t.contains(',')
        && !t.contains('.')
        && t.split(',')
            .skip(1)
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
    {
        return t.replace(',', "").parse().ok();
    }
    let x = parse_real(&t)?;
    (x.fract() == 0.0 && x.abs() < 9.0e15).then_some(x as i64)
}

/// Parses yes/no in English, Russian and Kazakh, and 1/0.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "да" | "иә" | "ия" | "t" => Some(true),
        "0" | "false" | "no" | "n" | "нет" | "жоқ" | "f" => Some(false),
        _ => None,
    }
}

/// Normalises a header for matching: lower case, no text in parentheses (units), runs of
/// spaces, dots, dashes and slashes as one `_`.
pub fn normalise_header(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.trim().trim_start_matches('\u{feff}').chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            c if c.is_alphanumeric() || c == ':' => out.extend(c.to_lowercase()),
            _ => {
                if !out.ends_with('_') {
                    out.push('_');
                }
            }
        }
    }
    out.trim_matches('_').replace('ё', "е")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn numbers_as_offices_write_them() {
        assert_eq!(parse_real("43,25"), Some(43.25));
        assert_eq!(parse_real(" 1 234,5 "), Some(1234.5));
        assert_eq!(parse_real("1\u{a0}234,5"), Some(1234.5));
        assert_eq!(parse_real("1,234.5"), Some(1234.5));
        assert_eq!(parse_real("1.234,5"), Some(1234.5));
        assert_eq!(parse_real("-7.5e3"), Some(-7500.0));
        assert_eq!(parse_real("abc"), None);
        assert_eq!(parse_real("1,2,3"), None);
        assert_eq!(parse_integer("1 234", true), Some(1234));
        assert_eq!(parse_integer("1234,0", true), Some(1234));
        assert_eq!(parse_integer("1,234", false), Some(1234));
        assert_eq!(parse_integer("1,5", true), None);
        assert_eq!(parse_integer("12.5", false), None);
    }

    #[test]
    fn windows_1251_and_bom() {
        let (s, enc) = decode_text(b"\xEF\xBB\xBFname\n");
        assert_eq!((s.as_str(), enc), ("name\n", "UTF-8"));
        // "Село" in Windows-1251.
        let (s, enc) = decode_text(&[0xD1, 0xE5, 0xEB, 0xEE]);
        assert_eq!((s.as_str(), enc), ("Село", "Windows-1251"));
    }

    #[test]
    fn separators_and_headers() {
        assert_eq!(detect_separator("a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_separator("a,b,c"), b',');
        assert_eq!(detect_separator("\"a;x\",b,c"), b',');
        assert_eq!(detect_separator("a\tb"), b'\t');
        assert_eq!(normalise_header(" Население (чел.) "), "население");
        assert_eq!(normalise_header("Елді мекен атауы"), "елді_мекен_атауы");
        assert_eq!(normalise_header("name:kk"), "name:kk");
    }

    proptest! {
        #[test]
        fn decimal_comma_round_trip(x in -1.0e6..1.0e6f64) {
            let s = format!("{x:.6}");
            prop_assert_eq!(parse_real(&s), s.parse::<f64>().ok());
            prop_assert_eq!(parse_real(&s.replace('.', ",")), s.parse::<f64>().ok());
        }
    }
}
