//! The attribute schema of each registry layer, and records as rows of typed values.
//!
//! Every layer has a fixed list of canonical fields ([`Layer::fields`]) and a kind of geometry
//! ([`Layer::geometry_kind`]). File readers map their columns onto these fields, the store keeps
//! one column per field, exporters write them out: the canonical schema is the one place that
//! says what a settlement or a mast carries.

use crate::{
    AdminArea, AreaLevel, BackboneNode, FibreRoute, Id, Layer, LonLat, Mast, Names, NodeKind,
    OrgKind, Organisation, Population, PowerKind, PowerSource, Road, Settlement, SettlementKind,
    Technology,
};
use geo::{Haversine, Length};
use geo_types::{Geometry, LineString, MultiPolygon};

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    Text,
    /// Whole number.
    Integer,
    /// Real number.
    Real,
    /// Yes/no.
    Bool,
}

/// One canonical field of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Canonical name (also the database column and the exported column).
    pub name: &'static str,
    /// Type of values.
    pub ty: FieldType,
    /// Whether every record must have it.
    pub required: bool,
}

/// What geometry a layer's records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// No geometry (organisations).
    None,
    /// A point, also given by the `lon` and `lat` fields.
    Point,
    /// A line string.
    Line,
    /// A (multi)polygon.
    Area,
}

/// A typed field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent.
    Null,
    /// Text.
    Text(String),
    /// Whole number.
    Integer(i64),
    /// Real number.
    Real(f64),
    /// Yes/no.
    Bool(bool),
}

impl Value {
    fn text(s: &Option<String>) -> Value {
        s.as_ref()
            .filter(|s| !s.is_empty())
            .map_or(Value::Null, |s| Value::Text(s.clone()))
    }
    fn real(x: Option<f64>) -> Value {
        x.map_or(Value::Null, Value::Real)
    }
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// Why a row of values does not make a valid record: the field and the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    /// Canonical field name (`geometry` for the geometry).
    pub field: &'static str,
    /// What is wrong, in words a user can act on.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

const fn f(name: &'static str, ty: FieldType, required: bool) -> FieldSpec {
    FieldSpec { name, ty, required }
}
use FieldType::{Bool, Integer, Real, Text};

const SETTLEMENT_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("official_code", Text, false),
    f("name", Text, false),
    f("name_kk", Text, false),
    f("name_ru", Text, false),
    f("name_en", Text, false),
    f("lon", Real, true),
    f("lat", Real, true),
    f("kind", Text, false),
    f("population", Integer, false),
    f("population_year", Integer, false),
    f("population_source", Text, false),
    f("population_estimated", Bool, false),
    f("region_code", Text, false),
    f("district_code", Text, false),
];
const AREA_FIELDS: &[FieldSpec] = &[
    f("code", Text, true),
    f("parent_code", Text, false),
    f("name", Text, false),
    f("name_kk", Text, false),
    f("name_ru", Text, false),
    f("name_en", Text, false),
    f("alt_code", Text, false),
];
const ROAD_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("ref", Text, false),
    f("name", Text, false),
    f("class", Text, false),
    f("surface", Text, false),
    f("length_m", Real, false),
];
const POWER_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("name", Text, false),
    f("kind", Text, false),
    f("fuel", Text, false),
    f("capacity_mw", Real, false),
    f("voltage_kv", Real, false),
    f("lon", Real, true),
    f("lat", Real, true),
];
const MAST_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("name", Text, false),
    f("lon", Real, true),
    f("lat", Real, true),
    f("height_m", Real, false),
    f("technologies", Text, false),
    f("operator_id", Text, false),
    f("assumed", Bool, false),
];
const NODE_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("name", Text, false),
    f("name_kk", Text, false),
    f("name_ru", Text, false),
    f("name_en", Text, false),
    f("kind", Text, false),
    f("lon", Real, true),
    f("lat", Real, true),
    f("operator_id", Text, false),
    f("assumed", Bool, false),
];
const FIBRE_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("name", Text, false),
    f("operator_id", Text, false),
    f("length_m", Real, false),
    f("assumed", Bool, false),
];
const ORG_FIELDS: &[FieldSpec] = &[
    f("id", Text, true),
    f("kind", Text, true),
    f("name", Text, false),
    f("name_kk", Text, false),
    f("name_ru", Text, false),
    f("name_en", Text, false),
    f("region_code", Text, false),
];

impl Layer {
    /// The canonical fields of the layer, key first.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Layer::Settlements => SETTLEMENT_FIELDS,
            Layer::Regions | Layer::Districts => AREA_FIELDS,
            Layer::Roads => ROAD_FIELDS,
            Layer::Power => POWER_FIELDS,
            Layer::Masts => MAST_FIELDS,
            Layer::BackboneNodes => NODE_FIELDS,
            Layer::FibreRoutes => FIBRE_FIELDS,
            Layer::Organisations => ORG_FIELDS,
        }
    }

    /// The geometry the layer's records carry.
    pub fn geometry_kind(self) -> GeometryKind {
        match self {
            Layer::Settlements | Layer::Power | Layer::Masts | Layer::BackboneNodes => {
                GeometryKind::Point
            }
            Layer::Regions | Layer::Districts => GeometryKind::Area,
            Layer::Roads | Layer::FibreRoutes => GeometryKind::Line,
            Layer::Organisations => GeometryKind::None,
        }
    }

    /// Index of a canonical field by name.
    pub fn field_index(self, name: &str) -> Option<usize> {
        self.fields().iter().position(|f| f.name == name)
    }
}

/// One record of any layer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Record {
    /// A settlement.
    Settlement(Settlement),
    /// A region or district (the level tells which).
    Area(AdminArea),
    /// A road segment.
    Road(Road),
    /// A power plant or substation.
    Power(PowerSource),
    /// A mast.
    Mast(Mast),
    /// A backbone node.
    Node(BackboneNode),
    /// A fibre route.
    Fibre(FibreRoute),
    /// An organisation.
    Org(Organisation),
}

/// Reads typed values by canonical field name.
struct Row<'a> {
    layer: Layer,
    values: &'a [Value],
}

impl Row<'_> {
    fn get(&self, name: &'static str) -> &Value {
        self.layer
            .field_index(name)
            .and_then(|i| self.values.get(i))
            .unwrap_or(&Value::Null)
    }
    fn text(&self, name: &'static str) -> Option<String> {
        match self.get(name) {
            Value::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Real(x) => Some(x.to_string()),
            _ => None,
        }
    }
    fn required_text(&self, name: &'static str) -> Result<String, FieldError> {
        self.text(name)
            .ok_or_else(|| err(name, "is required but empty"))
    }
    fn real(&self, name: &'static str) -> Result<Option<f64>, FieldError> {
        match self.get(name) {
            Value::Null => Ok(None),
            Value::Real(x) if x.is_finite() => Ok(Some(*x)),
            Value::Integer(i) => Ok(Some(*i as f64)),
            other => Err(err(name, format!("expected a number, got {other:?}"))),
        }
    }
    fn non_negative(&self, name: &'static str) -> Result<Option<f64>, FieldError> {
        match self.real(name)? {
            Some(x) if x < 0.0 => Err(err(name, format!("must not be negative, got {x}"))),
            x => Ok(x),
        }
    }
    fn int(&self, name: &'static str) -> Result<Option<i64>, FieldError> {
        match self.get(name) {
            Value::Null => Ok(None),
            Value::Integer(i) => Ok(Some(*i)),
            Value::Real(x) if x.fract() == 0.0 && x.is_finite() => Ok(Some(*x as i64)),
            other => Err(err(name, format!("expected a whole number, got {other:?}"))),
        }
    }
    fn flag(&self, name: &'static str) -> Result<bool, FieldError> {
        match self.get(name) {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            Value::Integer(i) => Ok(*i != 0),
            other => Err(err(name, format!("expected yes/no, got {other:?}"))),
        }
    }
    fn names(&self) -> Names {
        Names {
            local: self.text("name"),
            kk: self.text("name_kk"),
            ru: self.text("name_ru"),
            en: self.text("name_en"),
        }
    }
    fn lonlat(&self, geometry: Option<&Geometry<f64>>) -> Result<LonLat, FieldError> {
        let (lon, lat) = match (self.real("lon")?, self.real("lat")?, geometry) {
            (Some(lon), Some(lat), _) => (lon, lat),
            (None, None, Some(Geometry::Point(p))) => (p.x(), p.y()),
            (None, _, _) => return Err(err("lon", "is required but empty")),
            (_, None, _) => return Err(err("lat", "is required but empty")),
        };
        LonLat::new(lon, lat).map_err(|e| {
            let field = if matches!(e, crate::LonLatError::LonOutOfRange(_)) {
                "lon"
            } else {
                "lat"
            };
            err(field, e.to_string())
        })
    }
}

fn line(geometry: Option<Geometry<f64>>) -> Result<LineString<f64>, FieldError> {
    let l = match geometry {
        Some(Geometry::LineString(l)) => l,
        Some(Geometry::MultiLineString(mut m)) if m.0.len() == 1 => m.0.remove(0),
        Some(Geometry::MultiLineString(m)) => {
            // Join parts in order: roads exported as multi-lines by GIS tools are usually one chain.
            LineString(m.0.into_iter().flat_map(|l| l.0).collect())
        }
        Some(g) => {
            return Err(err(
                "geometry",
                format!("expected a line, got {}", kind_name(&g)),
            ));
        }
        None => return Err(err("geometry", "a line geometry is required")),
    };
    if l.0.len() < 2 {
        return Err(err("geometry", "a line needs at least two points"));
    }
    check_coords(l.0.iter())?;
    Ok(l)
}

fn area(geometry: Option<Geometry<f64>>) -> Result<MultiPolygon<f64>, FieldError> {
    let mp = match geometry {
        Some(Geometry::Polygon(p)) => MultiPolygon(vec![p]),
        Some(Geometry::MultiPolygon(m)) => m,
        Some(g) => {
            return Err(err(
                "geometry",
                format!("expected a polygon, got {}", kind_name(&g)),
            ));
        }
        None => return Err(err("geometry", "a polygon geometry is required")),
    };
    if mp.0.is_empty() {
        return Err(err("geometry", "the polygon is empty"));
    }
    for p in &mp.0 {
        if p.exterior().0.len() < 4 {
            return Err(err("geometry", "a polygon ring needs at least four points"));
        }
        check_coords(p.exterior().0.iter())?;
    }
    Ok(mp)
}

fn check_coords<'a>(
    coords: impl Iterator<Item = &'a geo_types::Coord<f64>>,
) -> Result<(), FieldError> {
    for c in coords {
        LonLat::new(c.x, c.y)
            .map_err(|e| err("geometry", format!("vertex ({}, {}): {e}", c.x, c.y)))?;
    }
    Ok(())
}

fn kind_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "a point",
        Geometry::Line(_) | Geometry::LineString(_) => "a line",
        Geometry::Polygon(_) => "a polygon",
        Geometry::MultiPoint(_) => "a multi-point",
        Geometry::MultiLineString(_) => "a multi-line",
        Geometry::MultiPolygon(_) => "a multi-polygon",
        Geometry::GeometryCollection(_) => "a geometry collection",
        Geometry::Rect(_) => "a rectangle",
        Geometry::Triangle(_) => "a triangle",
    }
}

fn length_m(l: &LineString<f64>) -> f64 {
    Haversine.length(l)
}

fn opt_id(s: Option<String>) -> Option<Id> {
    s.map(Id)
}

impl Record {
    /// Builds a record of `layer` from values in [`Layer::fields`] order and an optional geometry.
    /// For point layers a point geometry stands in for empty `lon`/`lat`.
    pub fn from_values(
        layer: Layer,
        values: &[Value],
        geometry: Option<Geometry<f64>>,
    ) -> Result<Record, FieldError> {
        let r = Row { layer, values };
        Ok(match layer {
            Layer::Settlements => {
                let kind = match r.text("kind") {
                    None => SettlementKind::Unknown,
                    Some(k) => SettlementKind::parse(&k)
                        .ok_or_else(|| err("kind", format!("unknown settlement kind `{k}` (city, town, village, hamlet, isolated_dwelling)")))?,
                };
                let population = match r.int("population")? {
                    None => None,
                    Some(p) if !(0..=i64::from(u32::MAX)).contains(&p) => {
                        return Err(err("population", format!("{p} is not a valid head count")));
                    }
                    Some(p) => Some(Population {
                        people: p as u32,
                        year: match r.int("population_year")? {
                            None => None,
                            Some(y) if (1800..=2200).contains(&y) => Some(y as u16),
                            Some(y) => {
                                return Err(err(
                                    "population_year",
                                    format!("{y} is not a plausible year"),
                                ));
                            }
                        },
                        source: r
                            .text("population_source")
                            .unwrap_or_else(|| "source".into()),
                        estimated: r.flag("population_estimated")?,
                    }),
                };
                Record::Settlement(Settlement {
                    id: Id(r.required_text("id")?),
                    official_code: r.text("official_code"),
                    names: r.names(),
                    location: r.lonlat(geometry.as_ref())?,
                    kind,
                    population,
                    region_code: r.text("region_code"),
                    district_code: r.text("district_code"),
                })
            }
            Layer::Regions | Layer::Districts => Record::Area(AdminArea {
                code: Id(r.required_text("code")?),
                level: if layer == Layer::Regions {
                    AreaLevel::Region
                } else {
                    AreaLevel::District
                },
                parent_code: r.text("parent_code"),
                names: r.names(),
                alt_code: r.text("alt_code"),
                boundary: area(geometry)?,
            }),
            Layer::Roads => {
                let geometry = line(geometry)?;
                Record::Road(Road {
                    id: Id(r.required_text("id")?),
                    road_ref: r.text("ref"),
                    name: r.text("name"),
                    class: r.text("class"),
                    surface: r.text("surface"),
                    length_m: r
                        .non_negative("length_m")?
                        .unwrap_or_else(|| length_m(&geometry)),
                    geometry,
                })
            }
            Layer::Power => Record::Power(PowerSource {
                id: Id(r.required_text("id")?),
                name: r.text("name"),
                kind: match r.text("kind").map(|s| s.to_lowercase()).as_deref() {
                    None | Some("plant") | Some("power_plant") => PowerKind::Plant,
                    Some("substation") | Some("подстанция") => PowerKind::Substation,
                    Some(k) => {
                        return Err(err(
                            "kind",
                            format!("unknown power kind `{k}` (plant, substation)"),
                        ));
                    }
                },
                fuel: r.text("fuel"),
                capacity_mw: r.non_negative("capacity_mw")?,
                voltage_kv: r.non_negative("voltage_kv")?,
                location: r.lonlat(geometry.as_ref())?,
            }),
            Layer::Masts => Record::Mast(Mast {
                id: Id(r.required_text("id")?),
                name: r.text("name"),
                location: r.lonlat(geometry.as_ref())?,
                height_m: match r.non_negative("height_m")? {
                    Some(h) if h > 1000.0 => {
                        return Err(err(
                            "height_m",
                            format!("{h} m is not a plausible mast height"),
                        ));
                    }
                    h => h,
                },
                technologies: r
                    .text("technologies")
                    .map(|t| {
                        t.split([';', ',', '/', '+'])
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| {
                                Technology::parse(s).ok_or_else(|| {
                                    err("technologies", format!("unknown technology `{s}`"))
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?
                    .unwrap_or_default(),
                operator_id: opt_id(r.text("operator_id")),
                assumed: r.flag("assumed")?,
            }),
            Layer::BackboneNodes => Record::Node(BackboneNode {
                id: Id(r.required_text("id")?),
                names: r.names(),
                kind: match r.text("kind").map(|s| s.to_lowercase()).as_deref() {
                    None | Some("pop") => NodeKind::Pop,
                    Some("core") | Some("gateway") => NodeKind::Core,
                    Some(k) => {
                        return Err(err("kind", format!("unknown node kind `{k}` (core, pop)")));
                    }
                },
                location: r.lonlat(geometry.as_ref())?,
                operator_id: opt_id(r.text("operator_id")),
                assumed: r.flag("assumed")?,
            }),
            Layer::FibreRoutes => {
                let geometry = line(geometry)?;
                Record::Fibre(FibreRoute {
                    id: Id(r.required_text("id")?),
                    name: r.text("name"),
                    operator_id: opt_id(r.text("operator_id")),
                    length_m: r
                        .non_negative("length_m")?
                        .unwrap_or_else(|| length_m(&geometry)),
                    geometry,
                    assumed: r.flag("assumed")?,
                })
            }
            Layer::Organisations => {
                let kind = r.required_text("kind")?;
                Record::Org(Organisation {
                    id: Id(r.required_text("id")?),
                    kind: OrgKind::parse(&kind).ok_or_else(|| err("kind", format!("unknown organisation kind `{kind}` (operator, akimat, ministry, other)")))?,
                    names: r.names(),
                    region_code: r.text("region_code"),
                })
            }
        })
    }

    /// The settlement, if this is one.
    pub fn into_settlement(self) -> Option<Settlement> {
        match self {
            Record::Settlement(s) => Some(s),
            _ => None,
        }
    }

    /// The administrative area, if this is one.
    pub fn into_area(self) -> Option<AdminArea> {
        match self {
            Record::Area(a) => Some(a),
            _ => None,
        }
    }

    /// The layer the record belongs to.
    pub fn layer(&self) -> Layer {
        match self {
            Record::Settlement(_) => Layer::Settlements,
            Record::Area(a) if a.level == AreaLevel::Region => Layer::Regions,
            Record::Area(_) => Layer::Districts,
            Record::Road(_) => Layer::Roads,
            Record::Power(_) => Layer::Power,
            Record::Mast(_) => Layer::Masts,
            Record::Node(_) => Layer::BackboneNodes,
            Record::Fibre(_) => Layer::FibreRoutes,
            Record::Org(_) => Layer::Organisations,
        }
    }

    /// The stable key.
    pub fn key(&self) -> &Id {
        match self {
            Record::Settlement(s) => &s.id,
            Record::Area(a) => &a.code,
            Record::Road(r) => &r.id,
            Record::Power(p) => &p.id,
            Record::Mast(m) => &m.id,
            Record::Node(n) => &n.id,
            Record::Fibre(f) => &f.id,
            Record::Org(o) => &o.id,
        }
    }

    /// The values in [`Layer::fields`] order.
    pub fn to_values(&self) -> Vec<Value> {
        let t = Value::text;
        let id = |i: &Id| Value::Text(i.0.clone());
        let names = |n: &Names| [t(&n.local), t(&n.kk), t(&n.ru), t(&n.en)];
        let oid = |o: &Option<Id>| o.as_ref().map_or(Value::Null, id);
        match self {
            Record::Settlement(s) => {
                let [name, kk, ru, en] = names(&s.names);
                let p = s.population.as_ref();
                vec![
                    id(&s.id),
                    t(&s.official_code),
                    name,
                    kk,
                    ru,
                    en,
                    Value::Real(s.location.lon_deg),
                    Value::Real(s.location.lat_deg),
                    Value::Text(s.kind.as_str().into()),
                    p.map_or(Value::Null, |p| Value::Integer(p.people.into())),
                    p.and_then(|p| p.year)
                        .map_or(Value::Null, |y| Value::Integer(y.into())),
                    p.map_or(Value::Null, |p| Value::Text(p.source.clone())),
                    p.map_or(Value::Null, |p| Value::Bool(p.estimated)),
                    t(&s.region_code),
                    t(&s.district_code),
                ]
            }
            Record::Area(a) => {
                let [name, kk, ru, en] = names(&a.names);
                vec![
                    id(&a.code),
                    t(&a.parent_code),
                    name,
                    kk,
                    ru,
                    en,
                    t(&a.alt_code),
                ]
            }
            Record::Road(r) => vec![
                id(&r.id),
                t(&r.road_ref),
                t(&r.name),
                t(&r.class),
                t(&r.surface),
                Value::Real(r.length_m),
            ],
            Record::Power(p) => vec![
                id(&p.id),
                t(&p.name),
                Value::Text(p.kind.as_str().into()),
                t(&p.fuel),
                Value::real(p.capacity_mw),
                Value::real(p.voltage_kv),
                Value::Real(p.location.lon_deg),
                Value::Real(p.location.lat_deg),
            ],
            Record::Mast(m) => vec![
                id(&m.id),
                t(&m.name),
                Value::Real(m.location.lon_deg),
                Value::Real(m.location.lat_deg),
                Value::real(m.height_m),
                if m.technologies.is_empty() {
                    Value::Null
                } else {
                    Value::Text(
                        m.technologies
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(";"),
                    )
                },
                oid(&m.operator_id),
                Value::Bool(m.assumed),
            ],
            Record::Node(n) => {
                let [name, kk, ru, en] = names(&n.names);
                vec![
                    id(&n.id),
                    name,
                    kk,
                    ru,
                    en,
                    Value::Text(n.kind.as_str().into()),
                    Value::Real(n.location.lon_deg),
                    Value::Real(n.location.lat_deg),
                    oid(&n.operator_id),
                    Value::Bool(n.assumed),
                ]
            }
            Record::Fibre(f) => vec![
                id(&f.id),
                t(&f.name),
                oid(&f.operator_id),
                Value::Real(f.length_m),
                Value::Bool(f.assumed),
            ],
            Record::Org(o) => {
                let [name, kk, ru, en] = names(&o.names);
                vec![
                    id(&o.id),
                    Value::Text(o.kind.as_str().into()),
                    name,
                    kk,
                    ru,
                    en,
                    t(&o.region_code),
                ]
            }
        }
    }

    /// The geometry, if the layer has one.
    pub fn geometry(&self) -> Option<Geometry<f64>> {
        Some(match self {
            Record::Settlement(s) => s.location.to_point().into(),
            Record::Area(a) => a.boundary.clone().into(),
            Record::Road(r) => r.geometry.clone().into(),
            Record::Power(p) => p.location.to_point().into(),
            Record::Mast(m) => m.location.to_point().into(),
            Record::Node(n) => n.location.to_point().into(),
            Record::Fibre(f) => f.geometry.clone().into(),
            Record::Org(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_round_trips_through_values() {
        let vals = |layer: Layer, pairs: &[(&str, Value)]| {
            let mut v = vec![Value::Null; layer.fields().len()];
            for (k, x) in pairs {
                v[layer.field_index(k).unwrap()] = x.clone();
            }
            v
        };
        let s = Record::from_values(
            Layer::Settlements,
            &vals(
                Layer::Settlements,
                &[
                    ("id", Value::Text("osm:n1".into())),
                    ("lon", Value::Real(71.4)),
                    ("lat", Value::Real(51.1)),
                    ("kind", Value::Text("село".into())),
                    ("population", Value::Integer(1200)),
                ],
            ),
            None,
        )
        .unwrap();
        assert_eq!(
            Record::from_values(Layer::Settlements, &s.to_values(), s.geometry()).unwrap(),
            s
        );

        let road = Record::from_values(
            Layer::Roads,
            &vals(Layer::Roads, &[("id", Value::Text("r1".into()))]),
            Some(LineString::from(vec![(71.0, 51.0), (71.0, 51.1)]).into()),
        )
        .unwrap();
        let Record::Road(r) = &road else { panic!() };
        assert!((r.length_m - 11_119.5).abs() < 5.0, "{}", r.length_m);
        assert_eq!(
            Record::from_values(Layer::Roads, &road.to_values(), road.geometry()).unwrap(),
            road
        );
    }

    #[test]
    fn bad_values_name_the_field() {
        let mut v = vec![Value::Null; Layer::Settlements.fields().len()];
        v[0] = Value::Text("x".into());
        v[6] = Value::Real(51.2);
        v[7] = Value::Real(171.4);
        let e = Record::from_values(Layer::Settlements, &v, None).unwrap_err();
        assert_eq!(e.field, "lat");
        assert!(e.message.contains("swapped"), "{e}");
        v[7] = Value::Real(51.0);
        v[9] = Value::Integer(-5);
        assert_eq!(
            Record::from_values(Layer::Settlements, &v, None)
                .unwrap_err()
                .field,
            "population"
        );
        v[9] = Value::Null;
        v[0] = Value::Null;
        assert_eq!(
            Record::from_values(Layer::Settlements, &v, None)
                .unwrap_err()
                .field,
            "id"
        );
    }
}

/// Registry layers as typed records, one list per kind (what the planner and resilience read;
/// layers not loaded stay empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistryLayers {
    /// Settlements.
    pub settlements: Vec<Settlement>,
    /// Regions and districts.
    pub areas: Vec<AdminArea>,
    /// Backbone nodes.
    pub nodes: Vec<BackboneNode>,
    /// Masts.
    pub masts: Vec<Mast>,
    /// Power plants and substations.
    pub power: Vec<PowerSource>,
    /// Road segments.
    pub roads: Vec<Road>,
    /// Organisations.
    pub organisations: Vec<Organisation>,
    /// Existing fibre routes.
    pub fibre: Vec<FibreRoute>,
}

impl RegistryLayers {
    /// Files a record under its kind.
    pub fn push(&mut self, record: Record) {
        match record {
            Record::Settlement(s) => self.settlements.push(s),
            Record::Area(a) => self.areas.push(a),
            Record::Road(x) => self.roads.push(x),
            Record::Power(x) => self.power.push(x),
            Record::Mast(x) => self.masts.push(x),
            Record::Node(x) => self.nodes.push(x),
            Record::Org(x) => self.organisations.push(x),
            Record::Fibre(x) => self.fibre.push(x),
        }
    }
}
