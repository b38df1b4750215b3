//! Workbooks as offices fill them: a title and blank rows above the header, Russian headers, codes typed
//! as numbers, coordinates as numbers or as text with a decimal comma.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_io::{Error, ImportOptions, import_file};
use auyl_model::{Layer, Record};
use rust_xlsxwriter::Workbook;

fn workbook(path: &std::path::Path, rows: &[(u32, Vec<&str>)]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, cells) in rows {
        for (c, v) in cells.iter().enumerate() {
            match v.parse::<f64>() {
                Ok(x) => ws.write_number(*r, c as u16, x).unwrap(),
                Err(_) => ws.write_string(*r, c as u16, *v).unwrap(),
            };
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn header_below_a_title_and_rows_numbered_as_excel_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zerendi.xlsx");
    workbook(
        &path,
        &[
            (0, vec!["Список населённых пунктов Зерендинского района"]),
            (
                2,
                vec![
                    "№ п/п",
                    "Код КАТО",
                    "Наименование",
                    "Долгота",
                    "Широта",
                    "Численность населения",
                ],
            ),
            (
                3,
                vec!["1", "115630100", "Акколь", "69.596649", "53.296177", "1140"],
            ),
            (
                4,
                vec!["2", "115633100", "Акадыр", "69,34919", "53,149471", "475"],
            ),
        ],
    );
    let import = import_file(&path, Layer::Settlements, &ImportOptions::default()).unwrap();
    assert_eq!(import.records.len(), 2);
    let (row, Record::Settlement(s)) = &import.records[1] else {
        panic!()
    };
    assert_eq!(*row, 5, "the second data row is row 5 of the sheet");
    assert_eq!(
        s.id.as_str(),
        "115633100",
        "the KATO code stands in for the id"
    );
    assert_eq!(s.official_code.as_deref(), Some("115633100"));
    assert_eq!(s.names.local.as_deref(), Some("Акадыр"));
    assert_eq!(
        (s.location.lon_deg, s.location.lat_deg),
        (69.34919, 53.149471)
    );
    assert_eq!(s.population.as_ref().unwrap().people, 475);

    // A bad cell is reported at the row Excel shows.
    workbook(
        &path,
        &[
            (0, vec!["Список"]),
            (2, vec!["Код КАТО", "Наименование", "Долгота", "Широта"]),
            (3, vec!["115630100", "Акколь", "69.59", "53.29"]),
            (4, vec!["115633100", "Акадыр", "69.34", "нет данных"]),
        ],
    );
    match import_file(&path, Layer::Settlements, &ImportOptions::default()) {
        Err(Error::InvalidRows { errors }) => {
            assert_eq!(errors.len(), 1);
            assert_eq!((errors[0].row, errors[0].field.as_str()), (5, "lat"));
            assert!(
                errors[0]
                    .to_string()
                    .contains("zerendi.xlsx: row 5, field `lat`"),
                "{}",
                errors[0]
            );
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}

#[cfg(unix)]
#[test]
fn exported_files_are_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orgs.csv");
    auyl_io::export_file(&path, Layer::Organisations, &[]).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "{mode:o}");
}
