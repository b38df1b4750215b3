//! Properties: bilinear stays within its four posts, profile ends are the point elevations, and
//! no finite input panics (readers included).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use auyl_model::LonLat;
use auyl_terrain::ehdr::EhdrHeader;
use auyl_terrain::{DemSet, GridGeometry, ProfileSpacing, Registration, Tile};
use proptest::prelude::*;

/// The demo terrain (four SRTM3 tiles + national grid), decoded once for all cases.
fn demo_set() -> &'static DemSet {
    static SET: OnceLock<DemSet> = OnceLock::new();
    SET.get_or_init(|| DemSet::open_folders(&[common::demo("")], 256 << 20).unwrap())
}

fn grid_strategy() -> impl Strategy<Value = (Tile, f64, f64)> {
    (
        2usize..8,
        2usize..8,
        any::<bool>(),
        1.0f64..1300.0,
        -60.0f64..60.0,
        -170.0f64..170.0,
    )
        .prop_flat_map(|(rows, cols, point, per_deg, lat0, lon0)| {
            let g = GridGeometry {
                rows,
                cols,
                lat0_deg: lat0,
                lon0_deg: lon0,
                per_deg_lat: per_deg,
                per_deg_lon: per_deg * 0.7,
                registration: if point {
                    Registration::Point
                } else {
                    Registration::Area
                },
            };
            let b = g.bounds();
            (
                proptest::collection::vec(-500i16..7000, rows * cols),
                b.west_deg..=b.east_deg,
                b.south_deg..=b.north_deg,
            )
                .prop_map(move |(values, lon, lat)| {
                    (
                        Tile::from_i16("synthetic", g, values, None).unwrap(),
                        lon,
                        lat,
                    )
                })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn bilinear_lies_between_its_four_posts((tile, lon, lat) in grid_strategy()) {
        let v = tile.elevation_m(lon, lat).unwrap().unwrap();
        let posts: Vec<f64> = tile.bracketing_posts(lon, lat).iter().map(|&(r, c)| tile.post(r, c).unwrap()).collect();
        let lo = posts.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = posts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        prop_assert!(v >= lo - 1e-9 && v <= hi + 1e-9, "{v} outside [{lo}, {hi}]");
    }

    #[test]
    fn profile_ends_are_the_point_elevations(
        lon_a in 76.0f64..78.0, lat_a in 42.0f64..44.0, lon_b in 76.0f64..78.0, lat_b in 42.0f64..44.0,
        step in 30.0f64..5000.0,
    ) {
        let dem = demo_set();
        let (a, b) = (LonLat::new(lon_a, lat_a).unwrap(), LonLat::new(lon_b, lat_b).unwrap());
        let p = dem.profile(a, b, ProfileSpacing::MaxStepM(step)).unwrap();
        prop_assert_eq!(p.elevations_m[0], dem.elevation_m(a).unwrap());
        prop_assert_eq!(*p.elevations_m.last().unwrap(), dem.elevation_m(b).unwrap());
        prop_assert!(p.step_m <= step + 1e-9);
        prop_assert!(p.distances_m.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn no_panic_on_any_finite_input(
        lon in -1e6f64..1e6, lat in -100.0f64..100.0, lon2 in -200.0f64..200.0, lat2 in -90.0f64..90.0,
        az in -1e4f64..1e4, step in -1e5f64..1e5, n in 0usize..300, points in 0usize..3000,
    ) {
        let dem = demo_set();
        let p = LonLat { lon_deg: lon, lat_deg: lat };
        let q = LonLat { lon_deg: lon2, lat_deg: lat2 };
        let _ = dem.elevation(p);
        let _ = dem.profile(p, q, ProfileSpacing::MaxStepM(step.abs().max(50.0)));
        let _ = dem.profile(p, q, ProfileSpacing::MaxStepM(step));
        let _ = dem.profile(p, q, ProfileSpacing::Points(points));
        let mut out = vec![0.0; n];
        if dem.sample_radial(p, az, step, &mut out).is_ok() {
            prop_assert!(out.iter().all(|v| v.is_finite()), "radial gave {:?}", out);
        }
        if dem.profile_into(p, q, &mut out).is_ok() {
            prop_assert!(out.iter().all(|v| v.is_finite()), "profile gave {:?}", out);
        }
    }

    #[test]
    fn readers_do_not_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096), text in "[A-Z_ 0-9.\\-\n#]{0,300}") {
        let _ = Tile::from_hgt_bytes("N43E076.hgt", &bytes);
        let _ = Tile::from_geotiff_bytes("x.tif", &bytes);
        let mut tiff_like = b"II*\0\x08\0\0\0".to_vec();
        tiff_like.extend_from_slice(&bytes);
        let _ = Tile::from_geotiff_bytes("y.tif", &tiff_like);
        let _ = auyl_terrain::compress::decompress("z.gz", &bytes);
        let _ = auyl_terrain::compress::decompress("z.xz", &bytes);
        if let Ok(h) = EhdrHeader::parse("p.hdr", &text) {
            let _ = Tile::from_ehdr_bytes("p", &h, &bytes);
        }
    }
}
