//! Languages: the three dictionaries have the same keys and no empty text; every key the page
//! and its scripts use exists, every key is used; and no interface text is written into the
//! HTML or the scripts instead of going through the dictionaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auyl_server::web::ASSETS;
use std::collections::{BTreeMap, BTreeSet};

fn asset(path: &str) -> &'static str {
    let a = ASSETS
        .iter()
        .find(|a| a.path == path)
        .unwrap_or_else(|| panic!("{path} is not embedded"));
    std::str::from_utf8(a.bytes).unwrap()
}

fn dictionaries() -> BTreeMap<&'static str, BTreeMap<String, String>> {
    ["kk", "ru", "en"]
        .into_iter()
        .map(|l| {
            (
                l,
                serde_json::from_str(asset(&format!("i18n/{l}.json"))).unwrap(),
            )
        })
        .collect()
}

/// Our scripts (not the vendored MapLibre).
fn scripts() -> Vec<(&'static str, &'static str)> {
    ASSETS
        .iter()
        .filter(|a| a.path.ends_with(".js") && !a.path.starts_with("vendor/"))
        .map(|a| (a.path, std::str::from_utf8(a.bytes).unwrap()))
        .collect()
}

/// A string literal of a script: its static text (template parts joined by `\u{0}`).
#[derive(Debug)]
struct Literal {
    text: String,
    line: usize,
}

/// Splits JavaScript into string literals, skipping comments; template literals' `${…}` parts
/// are scanned as code (they may hold literals of their own).
fn literals(src: &str) -> Vec<Literal> {
    fn code(c: &[char], mut i: usize, stop_at_brace: bool, out: &mut Vec<Literal>) -> usize {
        let mut depth = 0usize;
        while i < c.len() {
            match c[i] {
                '/' if c.get(i + 1) == Some(&'/') => {
                    while i < c.len() && c[i] != '\n' {
                        i += 1;
                    }
                }
                '/' if c.get(i + 1) == Some(&'*') => {
                    i += 2;
                    while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                        i += 1;
                    }
                    i += 2;
                    continue;
                }
                q @ ('\'' | '"') => {
                    let start = i;
                    let mut s = String::new();
                    i += 1;
                    while i < c.len() && c[i] != q {
                        if c[i] == '\\' {
                            i += 1;
                        }
                        s.push(c[i]);
                        i += 1;
                    }
                    out.push(Literal {
                        text: s,
                        line: c[..start].iter().filter(|&&x| x == '\n').count() + 1,
                    });
                }
                '`' => {
                    let start = i;
                    let mut s = String::new();
                    i += 1;
                    while i < c.len() && c[i] != '`' {
                        if c[i] == '\\' {
                            i += 1;
                            s.push(c[i]);
                        } else if c[i] == '$' && c.get(i + 1) == Some(&'{') {
                            i = code(c, i + 2, true, out);
                            s.push('\u{0}');
                        } else {
                            s.push(c[i]);
                        }
                        i += 1;
                    }
                    out.push(Literal {
                        text: s,
                        line: c[..start].iter().filter(|&&x| x == '\n').count() + 1,
                    });
                }
                '{' => depth += 1,
                '}' if stop_at_brace && depth == 0 => return i,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        i
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    code(&chars, 0, false, &mut out);
    out
}

/// Words that may appear capitalised in a literal without being interface text.
const TECHNICAL: &[&str] = &["FeatureCollection", "Feature", "Point", "LineString"];

fn looks_like_text(s: &str) -> Option<&'static str> {
    if s.chars().any(|c| c.is_alphabetic() && !c.is_ascii()) {
        return Some("non-Latin letters");
    }
    for word in s.split(|c: char| !c.is_ascii_alphabetic()) {
        let mut ch = word.chars();
        if let (Some(a), Some(b)) = (ch.next(), ch.next())
            && a.is_ascii_uppercase()
            && b.is_ascii_lowercase()
            && !TECHNICAL.contains(&word)
        {
            return Some("a capitalised word");
        }
    }
    let words: Vec<&str> = s.split(' ').collect();
    if words.windows(2).any(|w| {
        w.iter()
            .all(|x| x.len() >= 2 && x.chars().all(|c| c.is_ascii_alphabetic()))
    }) {
        return Some("words separated by spaces");
    }
    None
}

#[test]
fn dictionaries_have_the_same_keys_and_no_empty_text() {
    let d = dictionaries();
    let en: BTreeSet<&String> = d["en"].keys().collect();
    assert!(en.len() > 50, "{} keys", en.len());
    for (lang, dict) in &d {
        let keys: BTreeSet<&String> = dict.keys().collect();
        let missing: Vec<_> = en.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&en).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
        for (k, v) in dict {
            assert!(!v.trim().is_empty(), "{lang}: {k} is empty");
        }
    }
    // Translations differ from English wherever English is a sentence (catches copy-paste).
    for (k, v) in &d["en"] {
        if v.contains(' ') {
            assert_ne!(&d["kk"][k], v, "kk: {k} is the English text");
            assert_ne!(&d["ru"][k], v, "ru: {k} is the English text");
        }
    }
}

/// Key families built at run time (`kind.${k}`) and what they expand to.
fn families() -> BTreeMap<&'static str, Vec<String>> {
    let mut f = BTreeMap::new();
    f.insert(
        "kind",
        auyl_model::SettlementKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    );
    f.insert(
        "role",
        auyl_store::Role::ALL
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
    );
    f.insert("lang", ["kk", "ru", "en"].map(String::from).to_vec());
    f.insert(
        "origin",
        ["reported", "estimated", "none"].map(String::from).to_vec(),
    );
    f.insert(
        "status",
        auyl_track::Status::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    );
    f.insert(
        "work_kind",
        auyl_track::WorkKind::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    );
    f.insert(
        "blocker",
        auyl_track::BlockerReason::ALL
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
    );
    f.insert(
        "mode",
        auyl_plan::Mode::ALL
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
    );
    f.insert(
        "preset",
        auyl_plan::Scenario::PRESETS.map(String::from).to_vec(),
    );
    // The planner's stages, and the server's own before and after (plan_jobs).
    f.insert(
        "stage",
        auyl_plan::STAGES
            .iter()
            .chain(&["loading", "storing"])
            .map(|s| s.to_string())
            .collect(),
    );
    // auyl_track::Outlook has no list of its members: its snake-case names.
    f.insert(
        "outlook",
        ["complete", "on_track", "at_risk", "off_track", "no_pace"]
            .map(String::from)
            .to_vec(),
    );
    f.insert(
        "tech",
        // The access technologies the planner chooses among, and none.
        ["fibre", "lte", "microwave", "satellite", "none"]
            .map(String::from)
            .to_vec(),
    );
    f.insert(
        "track",
        [
            "connected",
            "in_progress",
            "overdue",
            "blocked",
            "planned",
            "none",
        ]
        .map(String::from)
        .to_vec(),
    );
    // The totals of a plan comparison (auyl_model::Plan::comparable_totals), besides those by technology.
    f.insert(
        "total",
        [
            "settlements_served",
            "people_connected",
            "capex_usd",
            "npc_usd",
            "fibre_km",
            "new_masts",
            "microwave_hops",
        ]
        .map(String::from)
        .to_vec(),
    );
    // Kinds of network element (auyl_resilience::ElementKind).
    f.insert(
        "rkind",
        auyl_resilience::ElementKind::ALL
            .iter()
            .map(|k| k.as_str().to_string())
            .collect(),
    );
    // The summary table's columns: fields of auyl_model::RegionSummary.
    let cols = serde_json::to_value(auyl_model::RegionSummary::default()).unwrap();
    f.insert(
        "summary",
        cols.as_object()
            .unwrap()
            .keys()
            .filter(|k| !["code", "name", "rural_with_reported_population"].contains(&k.as_str()))
            .cloned()
            .collect(),
    );
    f
}

#[test]
fn every_key_used_exists_and_every_key_is_used() {
    let d = dictionaries();
    let key = r"([a-z_]+(?:\.[a-z_]+)+)";
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut used_families: BTreeSet<String> = BTreeSet::new();
    let html = asset("index.html");
    let mut sources: Vec<(&str, &str)> = scripts();
    sources.push(("index.html", html));
    let fam_re = regex::Regex::new(r#"['"]([a-z_]+)\.['"]\s*\+"#).unwrap();
    let patterns: Vec<regex::Regex> = [
        format!(r#"data-i18n(?:-[a-z-]+)?=["']{key}["']"#),
        format!(r#"\bt\(\s*['"`]{key}['"`]"#),
        format!(r#"(?:i18n|titleKey|'data-i18n-[a-z-]+')\s*:\s*['"`]{key}['"`]"#),
        format!(r#"\bt\(\s*[a-z.]+\s*\?\s*['"]{key}['"]\s*:\s*['"]{key}['"]"#),
    ]
    .iter()
    .map(|p| regex::Regex::new(p).unwrap())
    .collect();
    for (_path, src) in &sources {
        // data-i18n="key", data-i18n-title="key", t('key'), i18n: 'key', titleKey: 'key'
        for re in &patterns {
            for c in re.captures_iter(src) {
                for g in c.iter().skip(1).flatten() {
                    used.insert(g.as_str().to_string());
                }
            }
        }
        // Any other literal that names a key (k ? 'a.b' : 'c.d', arrays of keys).
        for lit in literals(src) {
            if d["en"].contains_key(&lit.text) {
                used.insert(lit.text.clone());
            }
            if let Some(fam) = lit.text.strip_suffix(".\u{0}") {
                used_families.insert(fam.to_string());
            }
        }
        for c in fam_re.captures_iter(src) {
            used_families.insert(c[1].to_string());
        }
    }
    let fams = families();
    for f in &used_families {
        let members = fams
            .get(f.as_str())
            .unwrap_or_else(|| panic!("key family `{f}.…` is built at run time but the test does not know its members: add it to families()"));
        for m in members {
            used.insert(format!("{f}.{m}"));
        }
    }
    for k in &used {
        for (lang, dict) in &d {
            assert!(
                dict.contains_key(k),
                "key `{k}` is used but missing in {lang}.json"
            );
        }
    }
    let unused: Vec<_> = d["en"].keys().filter(|k| !used.contains(*k)).collect();
    assert!(
        unused.is_empty(),
        "dictionary keys nothing uses: {unused:?}"
    );
}

#[test]
fn no_interface_text_outside_the_dictionaries() {
    // HTML: no text between tags (besides white space) and no literal text in attributes that
    // browsers show; those come from data-i18n* attributes.
    let html = asset("index.html");
    let body = regex::Regex::new(r"(?s)<(script|style)[^>]*>.*?</(script|style)>")
        .unwrap()
        .replace_all(html, "");
    let text = regex::Regex::new(r">([^<]*)<").unwrap();
    for c in text.captures_iter(&body) {
        assert!(
            c[1].trim().is_empty(),
            "index.html has text outside the dictionaries: {:?}",
            c[1].trim()
        );
    }
    let attr =
        regex::Regex::new(r#"\s(title|placeholder|alt|aria-label|value)="([^"]*)""#).unwrap();
    for c in attr.captures_iter(&body) {
        assert!(
            !c[2].chars().any(|ch| ch.is_alphabetic()),
            "index.html: {}=\"{}\" should be data-i18n-{}",
            &c[1],
            &c[2],
            &c[1]
        );
    }
    // Scripts: no literal that reads like interface text.
    let mut bad = Vec::new();
    for (path, src) in scripts() {
        for lit in literals(src) {
            if let Some(why) = looks_like_text(&lit.text) {
                bad.push(format!("{path}:{}: {:?} ({why})", lit.line, lit.text));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "text in scripts must come from the dictionaries (t('key')):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // The literal scanner and the text heuristics themselves.
    let lits = literals("const a = 'x'; // 'comment'\nh('p', {}, `Hello ${t('a.b')} world`);");
    let texts: Vec<_> = lits.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["x", "p", "a.b", "Hello \u{0} world"]);
    assert!(looks_like_text("Sign in").is_some());
    assert!(looks_like_text("войти").is_some());
    assert!(looks_like_text("no results here").is_some());
    assert!(looks_like_text("map.shown").is_none());
    assert!(looks_like_text("circle-color").is_none());
    assert!(looks_like_text("/api/settlements?").is_none());
}
