//! Matching a file's columns to a layer's canonical fields.

use crate::error::{Error, Result};
use crate::text::normalise_header;
use auyl_model::Layer;
use std::path::Path;

/// Header names recognised for each canonical field, beside the field's own name. Normalised
/// (see [`normalise_header`]): lower case, `_` for spaces.
fn aliases(field: &str) -> &'static [&'static str] {
    match field {
        "id" => &["key", "uid", "identifier", "site_id", "идентификатор", "ид"],
        "official_code" => &[
            "kato",
            "като",
            "код_като",
            "kato_code",
            "код",
            "te_code",
            "official_id",
        ],
        "code" => &[
            "kato",
            "като",
            "код_като",
            "код",
            "pcode",
            "adm1_pcode_kato",
        ],
        "parent_code" => &[
            "parent",
            "region_code",
            "parent_kato",
            "код_области",
            "облыс_коды",
        ],
        "alt_code" => &["iso", "iso_3166_2", "adm1_pcode", "adm2_pcode", "pcode"],
        "name" => &[
            "название",
            "наименование",
            "населенный_пункт",
            "наименование_населенного_пункта",
            "название_населенного_пункта",
            "наименование_нп",
            "елді_мекеннің_атауы",
            "нп",
            "атауы",
            "атау",
            "елді_мекен",
            "елді_мекен_атауы",
            "settlement",
            "village",
            "name_local",
        ],
        "name_kk" => &[
            "name:kk",
            "название_каз",
            "наименование_на_казахском_языке",
            "атауы_қаз",
            "қазақша",
            "kk",
        ],
        "name_ru" => &[
            "name:ru",
            "название_рус",
            "наименование_на_русском_языке",
            "атауы_орыс",
            "орысша",
            "ru",
        ],
        "name_en" => &["name:en", "name_latin", "english", "en"],
        "lon" => &[
            "lng",
            "long",
            "longitude",
            "x",
            "долгота",
            "бойлық",
            "lon_deg",
            "longitude_deg",
        ],
        "lat" => &[
            "latitude",
            "y",
            "широта",
            "ендік",
            "lat_deg",
            "latitude_deg",
        ],
        "kind" => &["type", "place", "osm_place", "тип", "вид", "түрі", "тип_нп"],
        "population" => &[
            "pop",
            "население",
            "численность",
            "численность_населения",
            "кол_во_жителей",
            "халық",
            "халық_саны",
            "тұрғындар_саны",
            "жители",
            "inhabitants",
            "people",
        ],
        "population_year" => &["year", "год", "жыл", "census_year"],
        "population_source" => &["source", "источник", "дереккөз"],
        "region_code" => &[
            "region",
            "oblast",
            "область",
            "облыс",
            "регион",
            "admin1_kato",
            "admin1",
            "region_kato",
        ],
        "district_code" => &[
            "district",
            "rayon",
            "район",
            "аудан",
            "admin2_kato",
            "admin2",
            "district_kato",
        ],
        "ref" => &["road_ref", "номер", "номер_дороги", "индекс", "road_number"],
        "class" => &["road_class", "fclass", "highway", "категория", "класс"],
        "surface" => &["покрытие", "жабын"],
        "length_m" => &["length", "длина", "длина_м", "ұзындығы"],
        "fuel" => &["fueltype", "fuel_type", "топливо", "отын"],
        "capacity_mw" => &["capacity", "мощность", "мощность_мвт", "қуаты"],
        "voltage_kv" => &["voltage", "напряжение", "напряжение_кв", "кернеу"],
        "height_m" => &[
            "height",
            "mast_height",
            "antenna_height",
            "высота",
            "высота_м",
            "высота_опоры",
            "биіктігі",
        ],
        "technologies" => &[
            "technology",
            "tech",
            "технология",
            "технологии",
            "технологиясы",
        ],
        "operator_id" => &["operator", "оператор", "owner"],
        "assumed" => &["is_assumed"],
        _ => &[],
    }
}

/// Whether a header names a canonical field of any layer, or one of its aliases.
pub(crate) fn is_known_header(header: &str) -> bool {
    let h = normalise_header(header);
    Layer::ALL
        .iter()
        .flat_map(|l| l.fields())
        .any(|f| f.name == h || aliases(f.name).contains(&h.as_str()))
}

/// For each canonical field of a layer, the index of the file column holding it, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMap {
    /// `columns[i]` is the source column of the layer's i-th field.
    pub columns: Vec<Option<usize>>,
}

impl ColumnMap {
    /// Matches `headers` to `layer`'s fields: explicit `overrides` (field, column) first, then
    /// each field's own name, then its aliases. Every required field must end up with a column,
    /// except `lon`/`lat` when `has_point_geometry` (the geometry gives them) and `id` when
    /// `official_code` is mapped (the official code then serves as id).
    pub fn resolve(
        path: &Path,
        layer: Layer,
        headers: &[String],
        overrides: &[(String, String)],
        has_point_geometry: bool,
    ) -> Result<ColumnMap> {
        let fields = layer.fields();
        let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
        let list = || headers.join(", ");
        let mut columns: Vec<Option<usize>> = vec![None; fields.len()];
        let mut taken = vec![false; headers.len()];
        for (field, column) in overrides {
            let fi = layer
                .field_index(field)
                .ok_or_else(|| Error::UnknownField {
                    layer: layer.to_string(),
                    field: field.clone(),
                    fields: fields.iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                })?;
            let want = normalise_header(column);
            let ci = headers
                .iter()
                .position(|h| h == column)
                .or_else(|| norm.iter().position(|h| *h == want))
                .ok_or_else(|| Error::UnknownColumn {
                    path: path.to_path_buf(),
                    field: field.clone(),
                    column: column.clone(),
                    columns: list(),
                })?;
            columns[fi] = Some(ci);
            taken[ci] = true;
        }
        // Own names first for every field, so that e.g. a `region_code` column is not taken as
        // the alias of `parent_code` before its own field is matched.
        for pass in 0..2 {
            for (fi, spec) in fields.iter().enumerate() {
                if columns[fi].is_some() {
                    continue;
                }
                let found = norm.iter().enumerate().find(|(ci, h)| {
                    !taken[*ci]
                        && if pass == 0 {
                            h.as_str() == spec.name
                        } else {
                            aliases(spec.name).contains(&h.as_str())
                        }
                });
                if let Some((ci, _)) = found {
                    columns[fi] = Some(ci);
                    taken[ci] = true;
                }
            }
        }
        let mapped = |name: &str| {
            layer
                .field_index(name)
                .is_some_and(|i| columns[i].is_some())
        };
        for (fi, spec) in fields.iter().enumerate() {
            let excused = (has_point_geometry && matches!(spec.name, "lon" | "lat"))
                || (spec.name == "id" && mapped("official_code"));
            if spec.required && columns[fi].is_none() && !excused {
                return Err(Error::MissingColumn {
                    path: path.to_path_buf(),
                    layer: layer.to_string(),
                    field: spec.name.to_string(),
                    columns: list(),
                });
            }
        }
        Ok(ColumnMap { columns })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn russian_headers_and_overrides() {
        let headers = h(&[
            "Код КАТО",
            "Наименование",
            "Долгота",
            "Широта",
            "Население (чел.)",
            "Район",
        ]);
        let m = ColumnMap::resolve(Path::new("x.csv"), Layer::Settlements, &headers, &[], false)
            .unwrap();
        let at = |f: &str| m.columns[Layer::Settlements.field_index(f).unwrap()];
        assert_eq!(at("official_code"), Some(0));
        assert_eq!(at("name"), Some(1));
        assert_eq!(at("lon"), Some(2));
        assert_eq!(at("lat"), Some(3));
        assert_eq!(at("population"), Some(4));
        assert_eq!(at("district_code"), Some(5));
        assert_eq!(at("id"), None);

        let headers = h(&["site", "X", "Y"]);
        let e =
            ColumnMap::resolve(Path::new("m.csv"), Layer::Masts, &headers, &[], false).unwrap_err();
        assert!(e.to_string().contains("required field `id`"), "{e}");
        let m = ColumnMap::resolve(
            Path::new("m.csv"),
            Layer::Masts,
            &headers,
            &[("id".into(), "site".into())],
            false,
        )
        .unwrap();
        assert_eq!(m.columns[0], Some(0));
        let e = ColumnMap::resolve(
            Path::new("m.csv"),
            Layer::Masts,
            &headers,
            &[("idd".into(), "site".into())],
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no field `idd`"), "{e}");
        let e = ColumnMap::resolve(
            Path::new("m.csv"),
            Layer::Masts,
            &headers,
            &[("id".into(), "nope".into())],
            false,
        )
        .unwrap_err();
        assert!(e.to_string().contains("no column `nope`"), "{e}");
    }
}
