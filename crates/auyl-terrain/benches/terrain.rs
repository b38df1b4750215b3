//! Terrain speed: elevation lookups per second, a 50 km profile, a 50 km radial, a cold tile load.
//! Data: the demo terrain in `data/demo/terrain` (four SRTM3 tiles + the national 30″ grid).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::PathBuf;

use auyl_model::LonLat;
use auyl_terrain::{DemSet, ProfileSpacing};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/terrain")
}

fn bench(c: &mut Criterion) {
    let dem = DemSet::open_folders(&[demo_dir()], 512 << 20).unwrap();
    // Points spread over the four SRTM tiles (a low-discrepancy sequence, fixed).
    let pts: Vec<LonLat> = (0..10_000)
        .map(|i| {
            let f = f64::from(i);
            LonLat::new(
                76.0 + (f * 0.618_033_988_7) % 1.0 * 1.999,
                42.0 + (f * 0.754_877_666_2) % 1.0 * 1.999,
            )
            .unwrap()
        })
        .collect();
    // Warm the cache (tile decoding is measured separately).
    for p in &pts {
        dem.elevation(*p).unwrap();
    }
    let mut g = c.benchmark_group("terrain");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("elevation_10k_points", |b| {
        b.iter(|| {
            let mut s = 0.0;
            for p in &pts {
                s += dem.elevation(*p).unwrap().elevation_m.unwrap_or(0.0);
            }
            black_box(s)
        })
    });
    g.bench_function("sampler_elevation_10k_points", |b| {
        let mut sampler = dem.sampler();
        b.iter(|| {
            let mut s = 0.0;
            for p in &pts {
                s += sampler.elevation(*p).unwrap().elevation_m.unwrap_or(0.0);
            }
            black_box(s)
        })
    });
    // 50 km from Almaty towards Kapchagay at SRTM3 spacing (about 90 m → 557 samples).
    let a = LonLat::new(76.945, 43.238).unwrap();
    let b = LonLat::new(77.30, 43.62).unwrap();
    let n = dem
        .profile(a, b, ProfileSpacing::MaxStepM(90.0))
        .unwrap()
        .elevations_m
        .len();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("profile_50km_90m", |bch| {
        bch.iter(|| black_box(dem.profile(a, b, ProfileSpacing::MaxStepM(90.0)).unwrap()))
    });
    let mut buf = vec![0.0; n];
    g.bench_function("profile_into_50km_90m", |bch| {
        bch.iter(|| black_box(dem.profile_into(a, b, &mut buf).unwrap()))
    });
    let origin = LonLat::new(76.95, 43.35).unwrap();
    let mut radial = vec![0.0; 540];
    g.throughput(Throughput::Elements(540));
    g.bench_function("radial_50km_93m", |bch| {
        let mut az = 0.0;
        bch.iter(|| {
            az = (az + 1.3) % 360.0;
            black_box(dem.sample_radial(origin, az, 92.6, &mut radial).unwrap())
        })
    });
    g.finish();
    let mut cold = c.benchmark_group("terrain_cold");
    cold.sample_size(10);
    cold.bench_function("load_srtm3_gz_tile", |bch| {
        bch.iter(|| {
            black_box(
                auyl_terrain::folder::read_tile(&demo_dir().join("srtm3/N43E076.hgt.gz")).unwrap(),
            )
        })
    });
    cold.bench_function("load_national_grid_gz", |bch| {
        bch.iter(|| {
            black_box(
                auyl_terrain::folder::read_tile(&demo_dir().join("kz_dem30s_merged.hdr")).unwrap(),
            )
        })
    });
    cold.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
