//! The registry on both backends: round trips, idempotent upserts, dry runs, schema drift.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Layer, Record, Value};
use auyl_store::{ImportRun, Store, WriteMode};
use auyl_testkit::both_backends;
use geo_types::{Geometry, LineString, MultiPolygon, polygon};

fn values(layer: Layer, pairs: &[(&str, Value)]) -> Vec<Value> {
    let mut v = vec![Value::Null; layer.fields().len()];
    for (k, x) in pairs {
        v[layer.field_index(k).unwrap()] = x.clone();
    }
    v
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

/// One record of every layer, with every kind of value and geometry.
fn sample() -> Vec<Record> {
    let area: Geometry<f64> = MultiPolygon(vec![
        polygon![(x: 69.0, y: 50.0), (x: 72.0, y: 50.0), (x: 72.0, y: 53.0), (x: 69.0, y: 50.0)],
    ])
    .into();
    let line: Geometry<f64> =
        LineString::from(vec![(71.4, 51.1), (71.5, 51.2), (71.7, 51.2)]).into();
    let r = |layer, pairs: &[(&str, Value)], g: Option<Geometry<f64>>| {
        Record::from_values(layer, &values(layer, pairs), g).unwrap()
    };
    vec![
        r(
            Layer::Settlements,
            &[
                ("id", t("osm:n1")),
                ("name", t("Қосшы")),
                ("name_ru", t("Косшы")),
                ("lon", Value::Real(71.55)),
                ("lat", Value::Real(51.07)),
                ("kind", t("town")),
                ("population", Value::Integer(48_000)),
                ("population_year", Value::Integer(2021)),
                ("population_source", t("census")),
                ("population_estimated", Value::Bool(false)),
                ("region_code", t("110000000")),
            ],
            None,
        ),
        r(
            Layer::Regions,
            &[
                ("code", t("110000000")),
                ("name_en", t("Akmola")),
                ("alt_code", t("KZ-AKM")),
            ],
            Some(area.clone()),
        ),
        r(
            Layer::Districts,
            &[("code", t("114200000")), ("parent_code", t("110000000"))],
            Some(area),
        ),
        r(
            Layer::Roads,
            &[
                ("id", t("r1")),
                ("ref", t("KAZ01")),
                ("class", t("republican")),
            ],
            Some(line.clone()),
        ),
        r(
            Layer::Power,
            &[
                ("id", t("p1")),
                ("kind", t("substation")),
                ("voltage_kv", Value::Real(110.0)),
                ("lon", Value::Real(71.0)),
                ("lat", Value::Real(51.0)),
            ],
            None,
        ),
        r(
            Layer::Masts,
            &[
                ("id", t("m1")),
                ("lon", Value::Real(71.0)),
                ("lat", Value::Real(51.0)),
                ("height_m", Value::Real(42.5)),
                ("technologies", t("4G;3G")),
                ("operator_id", t("kcell")),
                ("assumed", Value::Bool(true)),
            ],
            None,
        ),
        r(
            Layer::BackboneNodes,
            &[
                ("id", t("n1")),
                ("kind", t("core")),
                ("lon", Value::Real(71.4)),
                ("lat", Value::Real(51.1)),
            ],
            None,
        ),
        r(
            Layer::FibreRoutes,
            &[("id", t("f1")), ("operator_id", t("kazakhtelecom"))],
            Some(line),
        ),
        r(
            Layer::Organisations,
            &[
                ("id", t("akimat:110000000")),
                ("kind", t("akimat")),
                ("region_code", t("110000000")),
            ],
            None,
        ),
    ]
}

fn run(mode: WriteMode) -> ImportRun<'static> {
    ImportRun {
        source: "test",
        at: "2026-11-24T00:00:00Z",
        mode,
        progress: &|_| {},
    }
}

#[tokio::test]
async fn every_layer_round_trips_on_both_backends() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        for rec in sample() {
            let layer = rec.layer();
            let diff = store
                .import(layer, std::slice::from_ref(&rec), &run(WriteMode::Write))
                .await
                .unwrap();
            assert_eq!(diff.added, 1, "{} {layer}", db.backend);
            let back = store.load(layer).await.unwrap();
            assert_eq!(back, vec![rec.clone()], "{} {layer}", db.backend);
        }
        // Typed: every record filed under its kind, only the layers asked for.
        let typed = store.load_layers(&Layer::ALL).await.unwrap();
        let mut want = auyl_model::RegistryLayers::default();
        for layer in Layer::ALL {
            for rec in sample().into_iter().filter(|r| r.layer() == layer) {
                want.push(rec);
            }
        }
        assert_eq!(typed, want, "{}", db.backend);
        assert!(!typed.settlements.is_empty() && !typed.nodes.is_empty());
        let some = store.load_layers(&[Layer::Power]).await.unwrap();
        assert_eq!(some.power, want.power);
        assert!(some.settlements.is_empty() && some.nodes.is_empty());
        store.close().await;
    }
}

#[tokio::test]
async fn reimport_is_idempotent_and_dry_run_writes_nothing() {
    for db in both_backends().await {
        let store = Store::open(&db.url).await.unwrap();
        let recs = sample();
        let settlement = recs[0].clone();
        assert_eq!(store.registry_version().await.unwrap(), 0);
        let d = store
            .import(
                Layer::Settlements,
                std::slice::from_ref(&settlement),
                &run(WriteMode::DryRun),
            )
            .await
            .unwrap();
        assert_eq!(
            (d.added, d.changed, d.unchanged),
            (1, 0, 0),
            "{}",
            db.backend
        );
        assert_eq!(
            store.count(Layer::Settlements).await.unwrap(),
            0,
            "{}",
            db.backend
        );
        // A dry run leaves the registry's version; every write moves it.
        assert_eq!(store.registry_version().await.unwrap(), 0);

        store
            .import(
                Layer::Settlements,
                std::slice::from_ref(&settlement),
                &run(WriteMode::Write),
            )
            .await
            .unwrap();
        let d = store
            .import(
                Layer::Settlements,
                std::slice::from_ref(&settlement),
                &run(WriteMode::Write),
            )
            .await
            .unwrap();
        assert_eq!(
            (d.added, d.changed, d.unchanged),
            (0, 0, 1),
            "{}",
            db.backend
        );
        assert_eq!(store.registry_version().await.unwrap(), 2, "{}", db.backend);

        let mut v = settlement.to_values();
        v[Layer::Settlements.field_index("population").unwrap()] = Value::Integer(49_000);
        let changed = Record::from_values(Layer::Settlements, &v, None).unwrap();
        v[0] = t("osm:n2");
        let added = Record::from_values(Layer::Settlements, &v, None).unwrap();
        let d = store
            .import(
                Layer::Settlements,
                &[changed.clone(), added],
                &run(WriteMode::Write),
            )
            .await
            .unwrap();
        assert_eq!(
            (d.added, d.changed, d.unchanged),
            (1, 1, 0),
            "{}",
            db.backend
        );
        assert_eq!(d.changed_examples, vec!["osm:n1".to_string()]);
        assert_eq!(store.load(Layer::Settlements).await.unwrap()[0], changed);
        // A source that mentions only one record keeps the other.
        let d = store
            .import(Layer::Settlements, &[changed], &run(WriteMode::Write))
            .await
            .unwrap();
        assert_eq!((d.unchanged, d.not_in_source), (1, 1));
        assert_eq!(store.count(Layer::Settlements).await.unwrap(), 2);
        store.close().await;
    }
}

#[tokio::test]
async fn tables_have_exactly_the_canonical_fields() {
    // The migration is SQL written by hand; this catches drift from auyl_model::Layer::fields.
    let db = auyl_testkit::sqlite_db();
    let store = Store::open(&db.url).await.unwrap();
    for layer in Layer::ALL {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(layer.as_str())
                .fetch_all(store.pool())
                .await
                .unwrap();
        let got: Vec<String> = rows.into_iter().map(|r| r.0).collect();
        let mut want: Vec<String> = layer.fields().iter().map(|f| f.name.to_string()).collect();
        want.extend(["geom", "content_hash", "source", "updated_at"].map(String::from));
        assert_eq!(got, want, "{layer}");
    }
}
