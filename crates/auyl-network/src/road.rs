//! A routable road graph from WGS84 line strings, the last-mile approximation, and fibre routes.
//!
//! **Building** ([`RoadGraph::build`]): each road's end points become nodes; so do interior
//! vertices shared (within `snap_tolerance_m`) with another road, and points of a road's interior
//! where another road's end point lies within the tolerance (T-junctions, the road is split
//! there). Node candidates within the tolerance of each other are merged (single linkage). Every
//! piece between two nodes is an edge with its geodesic length (Karney, via `geo`), a
//! [`CostClass`] from the road's attributes and a cost from the caller's [`CostModel`].
//!
//! **Last mile** ([`RoadGraph::attach_points`]): `../shared/data` has trunk roads but few local
//! ones, so a settlement (or a fibre site) is joined to the network by *approximate* links: one
//! to the nearest point of a road edge (that edge is split there) and one to each of its `k`
//! nearest neighbouring attached points within a maximum distance. An approximate link is a
//! straight line whose length is the geodesic distance times a detour factor (default 1.3); it
//! has cost class [`CostClass::Approximate`] and `approximate == true`, and every route that
//! uses one reports the approximate length. Importing real local roads (and rebuilding) replaces
//! them.
//!
//! **Fibre routes** ([`RoadGraph::route_fibre`]): the multi-root Steiner forest (see
//! [`crate::steiner`]) joining settlements to any of the existing fibre nodes, with length by
//! cost class and which settlements each branch serves.

use crate::budget::Budget;
use crate::error::{NetworkError, Result};
use crate::steiner::{self, SteinerEdge, SteinerInstance};
use geo::{Distance, Geodesic, Haversine, Length};
use geo_types::{Coord, LineString, Point};
use rstar::primitives::{GeomWithData, Line};
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};

/// Road class, following OpenStreetMap `highway=*` (and Geofabrik `fclass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoadClass {
    /// `motorway`.
    Motorway,
    /// `trunk` (also republican roads of Kazakhstan).
    Trunk,
    /// `primary`.
    Primary,
    /// `secondary`.
    Secondary,
    /// `tertiary`.
    Tertiary,
    /// `unclassified` (minor public roads).
    Unclassified,
    /// `residential`, `living_street`.
    Residential,
    /// `service`.
    Service,
    /// `track` (field and desert tracks).
    Track,
    /// `path`, `footway`, `bridleway`, `cycleway`.
    Path,
    /// Anything else.
    Other,
}

impl RoadClass {
    /// From an OSM `highway` / Geofabrik `fclass` value (`primary_link` counts as `primary`).
    pub fn from_osm(tag: &str) -> RoadClass {
        let t = tag.trim().to_ascii_lowercase();
        let base = t.strip_suffix("_link").unwrap_or(&t);
        match base {
            "motorway" => RoadClass::Motorway,
            "trunk" | "republican" => RoadClass::Trunk,
            "primary" => RoadClass::Primary,
            "secondary" => RoadClass::Secondary,
            "tertiary" => RoadClass::Tertiary,
            "unclassified" | "road" => RoadClass::Unclassified,
            "residential" | "living_street" => RoadClass::Residential,
            "service" => RoadClass::Service,
            s if s.starts_with("track") => RoadClass::Track,
            "path" | "footway" | "bridleway" | "cycleway" | "steps" => RoadClass::Path,
            _ => RoadClass::Other,
        }
    }

    /// Whether a road of this class is assumed paved when its surface is not tagged.
    pub fn paved_by_default(self) -> bool {
        matches!(
            self,
            RoadClass::Motorway
                | RoadClass::Trunk
                | RoadClass::Primary
                | RoadClass::Secondary
                | RoadClass::Tertiary
                | RoadClass::Residential
        )
    }
}

/// Road surface where tagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Asphalt, concrete, paving stones.
    Paved,
    /// Gravel, dirt, sand, ground.
    Unpaved,
    /// Not tagged: the class decides ([`RoadClass::paved_by_default`]).
    Unknown,
}

impl Surface {
    /// From an OSM `surface` value; `None` or an unknown value gives [`Surface::Unknown`].
    pub fn from_osm(tag: Option<&str>) -> Surface {
        match tag.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some(
                "paved" | "asphalt" | "concrete" | "concrete:plates" | "paving_stones" | "sett"
                | "chipseal",
            ) => Surface::Paved,
            Some(
                "unpaved" | "gravel" | "fine_gravel" | "compacted" | "dirt" | "earth" | "ground"
                | "sand" | "grass" | "mud" | "pebblestone",
            ) => Surface::Unpaved,
            _ => Surface::Unknown,
        }
    }
}

/// What the caller knows about one road line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RoadAttributes {
    /// Road class.
    pub class: RoadClass,
    /// Surface.
    pub surface: Surface,
    /// Whether cable may hang on poles along this road (existing power/telecom poles, permits).
    pub aerial_allowed: bool,
}

/// One input road line (WGS84 lon/lat) with its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadInput {
    /// The line, lon/lat degrees.
    pub geometry: LineString<f64>,
    /// Its attributes.
    pub attributes: RoadAttributes,
}

/// How a cable along an edge is built; each class has its own cost per km.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostClass {
    /// Trench along a paved road.
    TrenchPaved,
    /// Trench along an unpaved road or track.
    TrenchUnpaved,
    /// Aerial cable on poles, where allowed.
    Aerial,
    /// A last-mile approximation link (no mapped road): see the module docs.
    Approximate,
}

impl CostClass {
    /// All classes, in report order.
    pub const ALL: [CostClass; 4] = [
        CostClass::TrenchPaved,
        CostClass::TrenchUnpaved,
        CostClass::Aerial,
        CostClass::Approximate,
    ];

    /// Stable lowercase name for outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            CostClass::TrenchPaved => "trench_paved",
            CostClass::TrenchUnpaved => "trench_unpaved",
            CostClass::Aerial => "aerial",
            CostClass::Approximate => "approximate",
        }
    }
}

/// Cost per km of each cost class, in the caller's currency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    /// Trench along a paved road, per km.
    pub trench_paved_per_km: f64,
    /// Trench along an unpaved road or track, per km.
    pub trench_unpaved_per_km: f64,
    /// Aerial cable on poles, per km (used where allowed and cheaper than the trench).
    pub aerial_per_km: f64,
    /// Approximate last-mile link, per km (of its detour-inflated length).
    pub approximate_per_km: f64,
}

impl CostModel {
    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("trench_paved_per_km", self.trench_paved_per_km),
            ("trench_unpaved_per_km", self.trench_unpaved_per_km),
            ("aerial_per_km", self.aerial_per_km),
            ("approximate_per_km", self.approximate_per_km),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(NetworkError::BadParameter {
                    name,
                    message: format!("{v} is not a finite non-negative cost"),
                });
            }
        }
        Ok(())
    }

    /// The cost class of a road edge with these attributes.
    pub fn class_for(&self, a: &RoadAttributes) -> CostClass {
        let paved = match a.surface {
            Surface::Paved => true,
            Surface::Unpaved => false,
            Surface::Unknown => a.class.paved_by_default(),
        };
        let (trench, trench_cost) = if paved {
            (CostClass::TrenchPaved, self.trench_paved_per_km)
        } else {
            (CostClass::TrenchUnpaved, self.trench_unpaved_per_km)
        };
        if a.aerial_allowed && self.aerial_per_km < trench_cost {
            CostClass::Aerial
        } else {
            trench
        }
    }

    /// Cost per km of a class.
    pub fn per_km(&self, c: CostClass) -> f64 {
        match c {
            CostClass::TrenchPaved => self.trench_paved_per_km,
            CostClass::TrenchUnpaved => self.trench_unpaved_per_km,
            CostClass::Aerial => self.aerial_per_km,
            CostClass::Approximate => self.approximate_per_km,
        }
    }
}

/// Options for [`RoadGraph::build`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Points closer than this are one node (metres).
    pub snap_tolerance_m: f64,
    /// Split a road where another road's end point lies on it (within the tolerance).
    pub split_at_t_junctions: bool,
    /// Make a node of an interior vertex that another road shares (OSM junction nodes).
    pub join_shared_vertices: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            snap_tolerance_m: 10.0,
            split_at_t_junctions: true,
            join_shared_vertices: true,
        }
    }
}

/// Options for the last-mile approximation ([`RoadGraph::attach_points`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LastMileOptions {
    /// Multiplies straight-line lengths of approximate links (roads are not straight).
    pub detour_factor: f64,
    /// No link to a road longer than this (straight line, metres).
    pub max_road_link_m: f64,
    /// Links to at most this many nearest attached neighbours.
    pub neighbours_k: usize,
    /// No neighbour link longer than this (straight line, metres).
    pub max_neighbour_link_m: f64,
    /// A point this close to a road node reuses the node instead of splitting the edge (metres).
    pub snap_tolerance_m: f64,
}

impl Default for LastMileOptions {
    fn default() -> Self {
        LastMileOptions {
            detour_factor: 1.3,
            max_road_link_m: 50_000.0,
            neighbours_k: 3,
            max_neighbour_link_m: 30_000.0,
            snap_tolerance_m: 10.0,
        }
    }
}

/// Where an edge comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeSource {
    /// A piece of input road `index`.
    Road(usize),
    /// Approximate link from attached point `index` to the nearest road.
    PointToRoad(usize),
    /// Approximate link between attached points `a` and `b`.
    PointToPoint(usize, usize),
}

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadNode {
    /// Position, lon/lat.
    pub position: Point<f64>,
    /// Index into the points given to [`RoadGraph::attach_points`], if this node is one.
    pub attached: Option<usize>,
}

/// An edge of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadEdge {
    /// One end (node index).
    pub from: usize,
    /// Other end (node index).
    pub to: usize,
    /// Geometry from `from` to `to`, lon/lat.
    pub geometry: LineString<f64>,
    /// Length in metres (geodesic; for approximate links, times the detour factor).
    pub length_m: f64,
    /// How a cable here would be built.
    pub cost_class: CostClass,
    /// Cost of a cable along the whole edge.
    pub cost: f64,
    /// True for last-mile approximation links (not a mapped road).
    pub approximate: bool,
    /// Where it comes from.
    pub source: EdgeSource,
}

/// A routable road graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadGraph {
    /// Nodes.
    pub nodes: Vec<RoadNode>,
    /// Edges.
    pub edges: Vec<RoadEdge>,
    /// Input roads skipped as degenerate (fewer than two distinct points).
    pub skipped_roads: Vec<usize>,
    /// Pieces whose two ends snapped to one node (closed loops, slivers shorter than the
    /// tolerance): never useful in a tree, so left out; their total length in metres.
    pub dropped_loop_length_m: f64,
    costs: CostModel,
}

/// Connected components of a graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Components {
    /// Component id of each node (ids ordered by the smallest node in the component).
    pub node_component: Vec<usize>,
    /// Number of nodes in each component.
    pub sizes: Vec<usize>,
}

impl Components {
    /// Number of components.
    pub fn count(&self) -> usize {
        self.sizes.len()
    }
}

/// Fibre routes from [`RoadGraph::route_fibre`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FibrePlan {
    /// Edges of the forest (indices into [`RoadGraph::edges`]), ascending.
    pub edges: Vec<usize>,
    /// Total cost.
    pub cost: f64,
    /// Proven lower bound on the cheapest forest's cost.
    pub lower_bound: f64,
    /// Total length in metres per cost class (every class listed, in [`CostClass::ALL`] order).
    pub length_m_by_class: Vec<(CostClass, f64)>,
    /// Length of approximate (last-mile) links used, metres; nonzero means "check locally".
    pub approximate_length_m: f64,
    /// One entry per tree of the forest.
    pub branches: Vec<Branch>,
    /// Settlement nodes that no fibre node can reach (another component): not routed.
    pub unreachable: Vec<usize>,
    /// True when the time budget stopped the search early.
    pub budget_exhausted: bool,
}

/// One tree of a fibre forest: fed from one or more fibre nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Existing fibre nodes in this tree.
    pub fibre_nodes: Vec<usize>,
    /// Settlement nodes this tree serves.
    pub settlements: Vec<usize>,
    /// Its edges, ascending.
    pub edges: Vec<usize>,
    /// Its cost.
    pub cost: f64,
    /// Its length in metres per cost class (every class, in [`CostClass::ALL`] order).
    pub length_m_by_class: Vec<(CostClass, f64)>,
}

/// Metres per degree of latitude (mean), for the local planar approximations used in indexes.
const M_PER_DEG: f64 = 111_195.0;

/// A planar frame for spatial indexing: x = lon·cos(lat_ref), y = lat, both in metres.
#[derive(Clone, Copy)]
struct Frame {
    kx: f64,
    /// Largest (planar / true) distance ratio in the data: search radii grow by this so no true
    /// neighbour is missed anywhere in the data.
    inflate: f64,
    /// Largest (true / planar) distance ratio in the data.
    deflate: f64,
}

impl Frame {
    fn new(lats: impl Iterator<Item = f64>) -> Frame {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for l in lats {
            lo = lo.min(l);
            hi = hi.max(l);
        }
        if !lo.is_finite() {
            return Frame {
                kx: M_PER_DEG,
                inflate: 1.0,
                deflate: 1.0,
            };
        }
        let reff = 0.5 * (lo + hi);
        let worst = lo.abs().max(hi.abs()).min(89.0);
        let best = if lo <= 0.0 && hi >= 0.0 {
            0.0
        } else {
            lo.abs().min(hi.abs())
        };
        let c_ref = reff.to_radians().cos().max(1e-3);
        Frame {
            kx: M_PER_DEG * c_ref,
            inflate: (c_ref / worst.to_radians().cos()).max(1.0) * 1.01,
            deflate: (best.to_radians().cos() / c_ref).max(1.0) * 1.01,
        }
    }
    fn xy(&self, c: Coord<f64>) -> [f64; 2] {
        [c.x * self.kx, c.y * M_PER_DEG]
    }
}

fn haversine_m(a: Coord<f64>, b: Coord<f64>) -> f64 {
    Haversine.distance(Point(a), Point(b))
}

/// Projection of `p` on segment `a`–`b` in a local equirectangular frame around `p`:
/// (fraction along the segment, projected point).
fn project(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> (f64, Coord<f64>) {
    let k = p.y.to_radians().cos();
    let (ax, ay) = ((a.x - p.x) * k, a.y - p.y);
    let (bx, by) = ((b.x - p.x) * k, b.y - p.y);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (
        t,
        Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        },
    )
}

struct Dsu(Vec<usize>);
impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            self.0[hi] = lo;
        }
    }
}

/// A segment in a spatial index: (line or edge, segment index).
type SegItem = GeomWithData<Line<[f64; 2]>, (usize, usize)>;

/// A point's link meeting an edge: (point, position, coordinate, distance m).
type EdgeHit = (usize, Along, Coord<f64>, f64);

/// A position along a line: segment index and fraction within it.
#[derive(Clone, Copy, Debug)]
struct Along {
    seg: usize,
    frac: f64,
}

/// Pieces of `coords` between consecutive positions (sorted), each with its end coordinates.
fn split_line(coords: &[Coord<f64>], cuts: &[(Along, Coord<f64>)]) -> Vec<Vec<Coord<f64>>> {
    let mut out = Vec::new();
    for w in cuts.windows(2) {
        let (a, pa) = w[0];
        let (b, pb) = w[1];
        let mut piece = vec![pa];
        // Vertices strictly between a and b: indices a.seg+1 ..= b.seg (vertex i starts seg i).
        for (i, &c) in coords.iter().enumerate().take(b.seg + 1).skip(a.seg + 1) {
            let after_a = i > a.seg && !(i == a.seg + 1 && a.frac >= 1.0);
            let before_b = i < b.seg || (i == b.seg && b.frac > 0.0);
            if after_a && before_b {
                piece.push(c);
            }
        }
        piece.push(pb);
        out.push(piece);
    }
    out
}

impl RoadGraph {
    /// Builds the graph from roads (see the module docs). Coordinates must be finite lon/lat.
    pub fn build(roads: &[RoadInput], costs: &CostModel, opts: &BuildOptions) -> Result<RoadGraph> {
        costs.check()?;
        let tol = opts.snap_tolerance_m;
        if !tol.is_finite() || tol < 0.0 {
            return Err(NetworkError::BadParameter {
                name: "snap_tolerance_m",
                message: format!("{tol} is not a finite non-negative distance"),
            });
        }
        // Clean lines: finite, in range, no repeated consecutive points.
        let mut lines: Vec<Vec<Coord<f64>>> = Vec::with_capacity(roads.len());
        let mut skipped = Vec::new();
        for (i, r) in roads.iter().enumerate() {
            let mut cs: Vec<Coord<f64>> = Vec::with_capacity(r.geometry.0.len());
            for c in &r.geometry.0 {
                if !(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
                {
                    return Err(NetworkError::BadRoad {
                        index: i,
                        message: format!("coordinate ({}, {}) is not a WGS84 lon/lat", c.x, c.y),
                    });
                }
                if cs.last() != Some(c) {
                    cs.push(*c);
                }
            }
            if cs.len() < 2 {
                skipped.push(i);
                cs.clear();
            }
            lines.push(cs);
        }
        let frame = Frame::new(lines.iter().flatten().map(|c| c.y));
        let radius = tol * frame.inflate;
        // Node candidates: (position, line, along).
        let mut cand: Vec<(Coord<f64>, usize, Along)> = Vec::new();
        for (li, cs) in lines.iter().enumerate() {
            if cs.len() >= 2 {
                cand.push((cs[0], li, Along { seg: 0, frac: 0.0 }));
                cand.push((
                    cs[cs.len() - 1],
                    li,
                    Along {
                        seg: cs.len() - 2,
                        frac: 1.0,
                    },
                ));
            }
        }
        // Interior vertices shared with another line.
        let verts: Vec<GeomWithData<[f64; 2], (usize, usize)>> = lines
            .iter()
            .enumerate()
            .flat_map(|(li, cs)| cs.iter().enumerate().map(move |(vi, c)| (li, vi, *c)))
            .map(|(li, vi, c)| GeomWithData::new(frame.xy(c), (li, vi)))
            .collect();
        let vtree = RTree::bulk_load(verts);
        for (li, cs) in lines.iter().enumerate() {
            if !opts.join_shared_vertices {
                break;
            }
            for (vi, &c) in cs
                .iter()
                .enumerate()
                .take(cs.len().saturating_sub(1))
                .skip(1)
            {
                let shared = vtree
                    .locate_within_distance(frame.xy(c), radius * radius)
                    .any(|o| o.data.0 != li && haversine_m(c, lines[o.data.0][o.data.1]) <= tol);
                if shared {
                    cand.push((c, li, Along { seg: vi, frac: 0.0 }));
                }
            }
        }
        // T-junctions: an end point near another line's interior.
        let segs: Vec<SegItem> = lines
            .iter()
            .enumerate()
            .flat_map(|(li, cs)| {
                cs.windows(2)
                    .enumerate()
                    .map(move |(si, w)| (li, si, w[0], w[1]))
            })
            .map(|(li, si, a, b)| GeomWithData::new(Line::new(frame.xy(a), frame.xy(b)), (li, si)))
            .collect();
        let stree = RTree::bulk_load(segs);
        let n_end = if opts.split_at_t_junctions {
            cand.len()
        } else {
            0
        };
        for k in 0..n_end {
            let (p, li, _) = cand[k];
            let q = frame.xy(p);
            let env = AABB::from_corners(
                [q[0] - radius, q[1] - radius],
                [q[0] + radius, q[1] + radius],
            );
            let mut hits: Vec<(usize, usize)> = stree
                .locate_in_envelope_intersecting(&env)
                .map(|s| s.data)
                .filter(|&(lj, _)| lj != li)
                .collect();
            hits.sort_unstable();
            for (lj, sj) in hits {
                let cs = &lines[lj];
                let (t, pt) = project(p, cs[sj], cs[sj + 1]);
                if haversine_m(p, pt) <= tol {
                    cand.push((pt, lj, Along { seg: sj, frac: t }));
                }
            }
        }
        // Merge candidates within the tolerance.
        let ptree = RTree::bulk_load(
            cand.iter()
                .enumerate()
                .map(|(i, c)| GeomWithData::new(frame.xy(c.0), i))
                .collect::<Vec<_>>(),
        );
        let mut dsu = Dsu((0..cand.len()).collect());
        for (i, c) in cand.iter().enumerate() {
            for o in ptree.locate_within_distance(frame.xy(c.0), radius * radius) {
                if o.data > i && haversine_m(c.0, cand[o.data].0) <= tol {
                    dsu.union(i, o.data);
                }
            }
        }
        let mut node_of_root = vec![usize::MAX; cand.len()];
        let mut nodes: Vec<RoadNode> = Vec::new();
        let mut cand_node = vec![0usize; cand.len()];
        for (i, cn) in cand_node.iter_mut().enumerate() {
            let r = dsu.find(i);
            if node_of_root[r] == usize::MAX {
                node_of_root[r] = nodes.len();
                // The root is the smallest index: an end point when the cluster has one.
                nodes.push(RoadNode {
                    position: Point(cand[r].0),
                    attached: None,
                });
            }
            *cn = node_of_root[r];
        }
        // Cut every line at its candidates.
        let mut per_line: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
        for (i, c) in cand.iter().enumerate() {
            per_line[c.1].push(i);
        }
        let mut edges = Vec::new();
        let mut dropped_loop_length_m = 0.0;
        for (li, cs) in lines.iter().enumerate() {
            if cs.len() < 2 {
                continue;
            }
            let mut cuts = std::mem::take(&mut per_line[li]);
            cuts.sort_by(|&a, &b| {
                let (x, y) = (cand[a].2, cand[b].2);
                x.seg
                    .cmp(&y.seg)
                    .then(x.frac.total_cmp(&y.frac))
                    .then(a.cmp(&b))
            });
            let positions: Vec<(Along, Coord<f64>)> = cuts
                .iter()
                .map(|&c| (cand[c].2, nodes[cand_node[c]].position.0))
                .collect();
            let pieces = split_line(cs, &positions);
            let attrs = &roads[li].attributes;
            let class = costs.class_for(attrs);
            for (k, piece) in pieces.into_iter().enumerate() {
                let (from, to) = (cand_node[cuts[k]], cand_node[cuts[k + 1]]);
                let geometry = LineString::from(piece);
                let length_m = Geodesic.length(&geometry);
                if from == to {
                    dropped_loop_length_m += length_m;
                    continue;
                }
                edges.push(RoadEdge {
                    from,
                    to,
                    geometry,
                    length_m,
                    cost_class: class,
                    cost: length_m / 1000.0 * costs.per_km(class),
                    approximate: false,
                    source: EdgeSource::Road(li),
                });
            }
        }
        Ok(RoadGraph {
            nodes,
            edges,
            skipped_roads: skipped,
            dropped_loop_length_m,
            costs: *costs,
        })
    }

    /// The cost model the graph was built with.
    pub fn cost_model(&self) -> &CostModel {
        &self.costs
    }

    /// Connected components (edges taken as undirected).
    pub fn components(&self) -> Components {
        let mut dsu = Dsu((0..self.nodes.len()).collect());
        for e in &self.edges {
            dsu.union(e.from, e.to);
        }
        let mut id = vec![usize::MAX; self.nodes.len()];
        let mut sizes = Vec::new();
        let mut node_component = vec![0; self.nodes.len()];
        for (v, nc) in node_component.iter_mut().enumerate() {
            let r = dsu.find(v);
            if id[r] == usize::MAX {
                id[r] = sizes.len();
                sizes.push(0);
            }
            *nc = id[r];
            sizes[id[r]] += 1;
        }
        Components {
            node_component,
            sizes,
        }
    }

    /// Total length of edges in metres, (mapped roads, approximate links).
    pub fn total_length_m(&self) -> (f64, f64) {
        let mut out = (0.0, 0.0);
        for e in &self.edges {
            if e.approximate {
                out.1 += e.length_m;
            } else {
                out.0 += e.length_m;
            }
        }
        out
    }

    /// The node nearest to `p` (lon/lat) by great-circle distance, with the distance in metres.
    pub fn nearest_node(&self, p: Point<f64>) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            let d = haversine_m(p.0, n.position.0);
            if best.is_none_or(|b| d < b.1) {
                best = Some((i, d));
            }
        }
        best
    }

    /// Last-mile approximation: attaches `points` (settlements or fibre sites, lon/lat) to the
    /// network with flagged approximate links (see the module docs). Returns the node of each
    /// point, in order. Road edges are split where a point's link meets them.
    pub fn attach_points(
        &mut self,
        points: &[Point<f64>],
        opts: &LastMileOptions,
    ) -> Result<Vec<usize>> {
        for (name, v) in [
            ("detour_factor", opts.detour_factor),
            ("max_road_link_m", opts.max_road_link_m),
            ("max_neighbour_link_m", opts.max_neighbour_link_m),
            ("snap_tolerance_m", opts.snap_tolerance_m),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(NetworkError::BadParameter {
                    name,
                    message: format!("{v} must be finite and ≥ 0"),
                });
            }
        }
        if opts.detour_factor < 1.0 {
            return Err(NetworkError::BadParameter {
                name: "detour_factor",
                message: format!(
                    "{} is below 1 (a road is never shorter than the straight line)",
                    opts.detour_factor
                ),
            });
        }
        for (i, p) in points.iter().enumerate() {
            if !(p.x().is_finite()
                && p.y().is_finite()
                && p.x().abs() <= 180.0
                && p.y().abs() <= 90.0)
            {
                return Err(NetworkError::BadParameter {
                    name: "points",
                    message: format!("point {i} ({}, {}) is not a WGS84 lon/lat", p.x(), p.y()),
                });
            }
        }
        let frame = Frame::new(
            self.nodes
                .iter()
                .map(|n| n.position.y())
                .chain(points.iter().map(|p| p.y())),
        );
        // Nearest road segment of each point.
        let segs: Vec<SegItem> = self
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.approximate)
            .flat_map(|(ei, e)| {
                e.geometry
                    .0
                    .windows(2)
                    .enumerate()
                    .map(move |(si, w)| (ei, si, w[0], w[1]))
            })
            .map(|(ei, si, a, b)| GeomWithData::new(Line::new(frame.xy(a), frame.xy(b)), (ei, si)))
            .collect();
        let stree = RTree::bulk_load(segs);
        // (point index, along, projected coordinate, distance m) per edge.
        let mut on_edge: Vec<Vec<EdgeHit>> = vec![Vec::new(); self.edges.len()];
        for (pi, p) in points.iter().enumerate() {
            // Candidates within the planar nearest distance (inflated), checked on the sphere.
            let q = frame.xy(p.0);
            let Some(first) = stree.nearest_neighbor(&q) else {
                break;
            };
            let d0 =
                rstar::PointDistance::distance_2(first, &q).sqrt() * frame.deflate * frame.inflate
                    + 1.0;
            let env = AABB::from_corners([q[0] - d0, q[1] - d0], [q[0] + d0, q[1] + d0]);
            let mut best: Option<(f64, usize, Along, Coord<f64>)> = None;
            let mut hits: Vec<(usize, usize)> = stree
                .locate_in_envelope_intersecting(&env)
                .map(|s| s.data)
                .collect();
            hits.sort_unstable();
            for (ei, si) in hits {
                let g = &self.edges[ei].geometry.0;
                let (t, c) = project(p.0, g[si], g[si + 1]);
                let d = haversine_m(p.0, c);
                if best.is_none_or(|b| d < b.0) {
                    best = Some((d, ei, Along { seg: si, frac: t }, c));
                }
            }
            if let Some((d, ei, along, c)) = best
                && d <= opts.max_road_link_m
            {
                on_edge[ei].push((pi, along, c, d));
            }
        }
        // Split road edges at the link points; record the road node of each point.
        let mut road_node: Vec<Option<usize>> = vec![None; points.len()];
        for (ei, mut hits) in std::mem::take(&mut on_edge).into_iter().enumerate() {
            if hits.is_empty() {
                continue;
            }
            hits.sort_by(|a, b| {
                a.1.seg
                    .cmp(&b.1.seg)
                    .then(a.1.frac.total_cmp(&b.1.frac))
                    .then(a.0.cmp(&b.0))
            });
            let edge = self.edges[ei].clone();
            let g = &edge.geometry.0;
            let last = Along {
                seg: g.len() - 2,
                frac: 1.0,
            };
            let mut cuts: Vec<(Along, Coord<f64>, usize)> =
                vec![(Along { seg: 0, frac: 0.0 }, g[0], edge.from)];
            for (pi, along, c, _) in hits {
                let prev = cuts[cuts.len() - 1];
                let node = if haversine_m(c, prev.1) <= opts.snap_tolerance_m {
                    prev.2
                } else if haversine_m(c, g[g.len() - 1]) <= opts.snap_tolerance_m {
                    edge.to
                } else {
                    self.nodes.push(RoadNode {
                        position: Point(c),
                        attached: None,
                    });
                    let id = self.nodes.len() - 1;
                    cuts.push((along, c, id));
                    id
                };
                road_node[pi] = Some(node);
            }
            cuts.push((last, g[g.len() - 1], edge.to));
            cuts.dedup_by(|b, a| a.2 == b.2);
            if cuts.len() <= 2 {
                continue;
            }
            let positions: Vec<(Along, Coord<f64>)> = cuts.iter().map(|c| (c.0, c.1)).collect();
            let pieces = split_line(g, &positions);
            let per_km = self.costs.per_km(edge.cost_class);
            for (k, piece) in pieces.into_iter().enumerate() {
                let geometry = LineString::from(piece);
                let length_m = Geodesic.length(&geometry);
                let e = RoadEdge {
                    from: cuts[k].2,
                    to: cuts[k + 1].2,
                    geometry,
                    length_m,
                    cost: length_m / 1000.0 * per_km,
                    ..edge.clone()
                };
                if k == 0 {
                    self.edges[ei] = e;
                } else {
                    self.edges.push(e);
                }
            }
        }
        // A node per point, its road link, and links to neighbouring points.
        let approx = self.costs.approximate_per_km;
        let mut point_node = Vec::with_capacity(points.len());
        let link = |edges: &mut Vec<RoadEdge>,
                    from: usize,
                    to: usize,
                    a: Coord<f64>,
                    b: Coord<f64>,
                    source| {
            let length_m = Geodesic.distance(Point(a), Point(b)) * opts.detour_factor;
            edges.push(RoadEdge {
                from,
                to,
                geometry: LineString::from(vec![a, b]),
                length_m,
                cost_class: CostClass::Approximate,
                cost: length_m / 1000.0 * approx,
                approximate: true,
                source,
            });
        };
        for (pi, p) in points.iter().enumerate() {
            self.nodes.push(RoadNode {
                position: *p,
                attached: Some(pi),
            });
            let v = self.nodes.len() - 1;
            point_node.push(v);
            if let Some(r) = road_node[pi] {
                let rp = self.nodes[r].position.0;
                link(&mut self.edges, v, r, p.0, rp, EdgeSource::PointToRoad(pi));
            }
        }
        if opts.neighbours_k > 0 && points.len() > 1 {
            let ptree = RTree::bulk_load(
                points
                    .iter()
                    .enumerate()
                    .map(|(i, p)| GeomWithData::new(frame.xy(p.0), i))
                    .collect::<Vec<_>>(),
            );
            let mut pairs = std::collections::BTreeSet::new();
            for (i, p) in points.iter().enumerate() {
                let mut near: Vec<(f64, usize)> = ptree
                    .nearest_neighbor_iter(&frame.xy(p.0))
                    .filter(|o| o.data != i)
                    .take(opts.neighbours_k * 2 + 2)
                    .map(|o| (haversine_m(p.0, points[o.data].0), o.data))
                    .filter(|&(d, _)| d <= opts.max_neighbour_link_m)
                    .collect();
                near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                for &(_, j) in near.iter().take(opts.neighbours_k) {
                    pairs.insert((i.min(j), i.max(j)));
                }
            }
            for (a, b) in pairs {
                link(
                    &mut self.edges,
                    point_node[a],
                    point_node[b],
                    points[a].0,
                    points[b].0,
                    EdgeSource::PointToPoint(a, b),
                );
            }
        }
        Ok(point_node)
    }

    /// [`RoadGraph::attach_points`] for settlements of the domain model (at their locations).
    pub fn attach_settlements(
        &mut self,
        settlements: &[auyl_model::Settlement],
        opts: &LastMileOptions,
    ) -> Result<Vec<usize>> {
        let points: Vec<Point<f64>> = settlements.iter().map(|s| s.location.to_point()).collect();
        self.attach_points(&points, opts)
    }

    /// The Steiner instance of this graph (edge `i` of the instance is edge `i` of the graph,
    /// cost = [`RoadEdge::cost`]) with the given terminals.
    pub fn steiner_instance(&self, terminals: &[usize]) -> SteinerInstance {
        SteinerInstance {
            node_count: self.nodes.len(),
            edges: self
                .edges
                .iter()
                .map(|e| SteinerEdge {
                    u: e.from,
                    v: e.to,
                    cost: e.cost,
                })
                .collect(),
            terminals: terminals.to_vec(),
        }
    }

    /// Cheapest forest joining every reachable settlement node to at least one fibre node
    /// (multi-root Steiner problem: a super-root with zero-cost links to every fibre node).
    /// Settlements in components without a fibre node are listed as unreachable.
    pub fn route_fibre(
        &self,
        fibre_nodes: &[usize],
        settlements: &[usize],
        budget: &dyn Budget,
    ) -> Result<FibrePlan> {
        let n = self.nodes.len();
        for &v in fibre_nodes.iter().chain(settlements) {
            if v >= n {
                return Err(NetworkError::TerminalOutOfRange {
                    terminal: v,
                    node_count: n,
                });
            }
        }
        let comps = self.components();
        let mut fed = vec![false; comps.count()];
        for &f in fibre_nodes {
            fed[comps.node_component[f]] = true;
        }
        let (mut reach, mut unreachable): (Vec<usize>, Vec<usize>) = settlements
            .iter()
            .partition(|&&s| fed[comps.node_component[s]]);
        reach.sort_unstable();
        reach.dedup();
        unreachable.sort_unstable();
        unreachable.dedup();
        let base = self.steiner_instance(&reach);
        let mut roots: Vec<usize> = fibre_nodes.to_vec();
        roots.sort_unstable();
        roots.dedup();
        let (inst, _super_root) = base.with_super_root(&roots)?;
        let sol = if reach.is_empty() {
            None
        } else {
            Some(steiner::solve(&inst, budget)?)
        };
        let m = self.edges.len();
        let mut edges: Vec<usize> = sol
            .as_ref()
            .map(|s| s.edges.iter().copied().filter(|&e| e < m).collect())
            .unwrap_or_default();
        edges.sort_unstable();
        let cost: f64 = edges.iter().map(|&e| self.edges[e].cost).sum();
        let mut by_class: Vec<(CostClass, f64)> =
            CostClass::ALL.iter().map(|&c| (c, 0.0)).collect();
        let mut approximate_length_m = 0.0;
        for &e in &edges {
            let ed = &self.edges[e];
            if let Some(slot) = by_class.iter_mut().find(|s| s.0 == ed.cost_class) {
                slot.1 += ed.length_m;
            }
            if ed.approximate {
                approximate_length_m += ed.length_m;
            }
        }
        // Trees of the forest.
        let mut dsu = Dsu((0..n).collect());
        for &e in &edges {
            dsu.union(self.edges[e].from, self.edges[e].to);
        }
        let mut branch_of_root: std::collections::BTreeMap<usize, Branch> =
            std::collections::BTreeMap::new();
        let blank = || Branch {
            fibre_nodes: Vec::new(),
            settlements: Vec::new(),
            edges: Vec::new(),
            cost: 0.0,
            length_m_by_class: CostClass::ALL.iter().map(|&c| (c, 0.0)).collect(),
        };
        for &e in &edges {
            let r = dsu.find(self.edges[e].from);
            let b = branch_of_root.entry(r).or_insert_with(blank);
            b.edges.push(e);
            b.cost += self.edges[e].cost;
            if let Some(slot) = b
                .length_m_by_class
                .iter_mut()
                .find(|s| s.0 == self.edges[e].cost_class)
            {
                slot.1 += self.edges[e].length_m;
            }
        }
        for &f in &roots {
            let r = dsu.find(f);
            if let Some(b) = branch_of_root.get_mut(&r) {
                b.fibre_nodes.push(f);
            }
        }
        for &s in &reach {
            let r = dsu.find(s);
            // A settlement on a fibre node itself needs no edge: a branch of its own.
            branch_of_root
                .entry(r)
                .or_insert_with(blank)
                .settlements
                .push(s);
        }
        for &f in &roots {
            let r = dsu.find(f);
            if let Some(b) = branch_of_root.get_mut(&r)
                && b.fibre_nodes.is_empty()
            {
                b.fibre_nodes.push(f);
            }
        }
        let branches: Vec<Branch> = branch_of_root
            .into_values()
            .filter(|b| !b.settlements.is_empty())
            .collect();
        Ok(FibrePlan {
            edges,
            cost,
            lower_bound: sol.as_ref().map(|s| s.lower_bound).unwrap_or(0.0),
            length_m_by_class: by_class,
            approximate_length_m,
            branches,
            unreachable,
            budget_exhausted: sol.as_ref().is_some_and(|s| s.budget_exhausted),
        })
    }
}

impl RoadGraph {
    /// The geometry of a set of edges (a branch of a [`FibrePlan`]) as few lines as possible:
    /// edges are joined end to end through nodes where exactly two of them meet, so a tree gives
    /// one line per path between its junctions and leaves. Lines run in a deterministic order.
    pub fn edge_lines(&self, edges: &[usize]) -> Result<geo_types::MultiLineString<f64>> {
        let m = self.edges.len();
        if let Some(&bad) = edges.iter().find(|&&e| e >= m) {
            return Err(NetworkError::BadParameter {
                name: "edges",
                message: format!("edge {bad} is not in the graph ({m} edges)"),
            });
        }
        let mut sorted: Vec<usize> = edges.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut incident: std::collections::BTreeMap<usize, Vec<usize>> =
            std::collections::BTreeMap::new();
        for &e in &sorted {
            incident.entry(self.edges[e].from).or_default().push(e);
            incident.entry(self.edges[e].to).or_default().push(e);
        }
        let mut used = std::collections::BTreeSet::new();
        let mut lines = Vec::new();
        // Walks from `start` along `first`, through nodes of degree 2, appending coordinates.
        let walk = |start: usize, first: usize, used: &mut std::collections::BTreeSet<usize>| {
            let mut coords: Vec<Coord<f64>> = Vec::new();
            let (mut at, mut e) = (start, first);
            loop {
                used.insert(e);
                let edge = &self.edges[e];
                let forward = edge.from == at;
                let mut part: Vec<Coord<f64>> = edge.geometry.0.clone();
                if !forward {
                    part.reverse();
                }
                if !coords.is_empty() {
                    part.remove(0);
                }
                coords.extend(part);
                at = if forward { edge.to } else { edge.from };
                let next = match incident.get(&at) {
                    Some(inc) if inc.len() == 2 => inc.iter().copied().find(|&x| x != e),
                    _ => None,
                };
                match next {
                    Some(n) if !used.contains(&n) => e = n,
                    _ => break,
                }
            }
            LineString(coords)
        };
        // Chains start at leaves and junctions; what is left are cycles (not in a tree).
        for (&v, inc) in &incident {
            if inc.len() != 2 {
                for &e in inc {
                    if !used.contains(&e) {
                        lines.push(walk(v, e, &mut used));
                    }
                }
            }
        }
        for &e in &sorted {
            if !used.contains(&e) {
                lines.push(walk(self.edges[e].from, e, &mut used));
            }
        }
        Ok(geo_types::MultiLineString(lines))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the report
    use super::*;

    fn road(coords: &[(f64, f64)]) -> RoadInput {
        RoadInput {
            geometry: LineString::from(coords.to_vec()),
            attributes: RoadAttributes {
                class: RoadClass::Primary,
                surface: Surface::Unknown,
                aerial_allowed: false,
            },
        }
    }

    #[test]
    fn edge_lines_join_chains_and_keep_length() {
        // A T: a road from west to a junction in two pieces, a road on to the east, and a spur
        // to the north, all meeting at (71.0, 51.0).
        let roads = [
            road(&[(70.8, 51.0), (70.9, 51.0)]),
            road(&[(70.9, 51.0), (71.0, 51.0)]),
            road(&[(71.0, 51.0), (71.1, 51.0), (71.2, 51.01)]),
            road(&[(71.0, 51.1), (71.0, 51.0)]),
        ];
        let costs = CostModel {
            trench_paved_per_km: 1.0,
            trench_unpaved_per_km: 1.0,
            aerial_per_km: 1.0,
            approximate_per_km: 1.0,
        };
        let g = RoadGraph::build(&roads, &costs, &BuildOptions::default()).unwrap();
        assert_eq!(g.edges.len(), 4);
        let all: Vec<usize> = (0..g.edges.len()).collect();
        let ml = g.edge_lines(&all).unwrap();
        // The two western pieces join through their degree-2 node: three lines leave the junction.
        assert_eq!(ml.0.len(), 3, "{ml:?}");
        let drawn: f64 = ml.0.iter().map(|l| Geodesic.length(l)).sum();
        let edges: f64 = g.edges.iter().map(|e| e.length_m).sum();
        assert!((drawn - edges).abs() < 1e-6, "{drawn} vs {edges}");
        for l in &ml.0 {
            assert!(
                l.0.windows(2).all(|w| w[0] != w[1]),
                "no doubled junction points"
            );
        }
        // Only the western chain: one line from end to end.
        let west: Vec<usize> = (0..g.edges.len())
            .filter(|&e| {
                g.edges[e]
                    .geometry
                    .0
                    .iter()
                    .all(|c| c.x <= 71.0 && c.y == 51.0)
            })
            .collect();
        assert_eq!(west.len(), 2);
        let ml = g.edge_lines(&west).unwrap();
        assert_eq!(ml.0.len(), 1);
        assert_eq!(ml.0[0].0.len(), 3);
        assert!(g.edge_lines(&[99]).is_err());
    }
}
