//! PNG of a drawn diagram (resvg). The one part of this crate that touches the machine: text
//! is set in the system's fonts, read once per [`PngRenderer`].

use resvg::tiny_skia;
use resvg::usvg;

/// The largest PNG drawn, in pixels; a bigger diagram is drawn at a smaller scale.
const MAX_PIXELS: f32 = 64.0 * 1024.0 * 1024.0;

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("the SVG cannot be read: {0}")]
    Svg(String),
    #[error("a {0}×{1} image is too large to draw")]
    TooLarge(u32, u32),
    #[error("encoding the PNG: {0}")]
    Encode(String),
}

/// Draws SVGs as PNGs with the fonts found on this machine.
pub struct PngRenderer {
    options: usvg::Options<'static>,
}

impl Default for PngRenderer {
    fn default() -> Self {
        Self::new()
    }
}

impl PngRenderer {
    /// Loads the system's fonts (a few milliseconds to a second; do it once for many diagrams).
    pub fn new() -> PngRenderer {
        let mut options = usvg::Options::default();
        let db = options.fontdb_mut();
        db.load_system_fonts();
        // fontdb maps `sans-serif` to Arial, which Linux rarely has: take the first common sans
        // family present, else any family at all.
        let families: Vec<String> = db
            .faces()
            .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
            .collect();
        let sans = [
            "Arial",
            "Helvetica",
            "DejaVu Sans",
            "Liberation Sans",
            "Noto Sans",
            "FreeSans",
        ]
        .iter()
        .find(|want| families.iter().any(|f| f == *want))
        .map(|f| f.to_string())
        .or_else(|| families.first().cloned());
        if let Some(sans) = sans {
            db.set_sans_serif_family(sans.clone());
            options.font_family = sans;
        }
        PngRenderer { options }
    }

    /// How many font faces were found. Without any, labels are not drawn (the boxes are).
    pub fn fonts(&self) -> usize {
        self.options.fontdb.len()
    }

    /// `svg` as a PNG at `scale` (2 gives crisp text), white behind it; lowered so the image
    /// stays under 64 Mpx.
    pub fn render(&self, svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
        let tree = usvg::Tree::from_str(svg, &self.options).map_err(|e| PngError::Svg(e.to_string()))?;
        let size = tree.size();
        let fit = (MAX_PIXELS / (size.width() * size.height()).max(1.0)).sqrt();
        let scale = scale.min(fit).max(0.01);
        let (w, h) = (
            (size.width() * scale).ceil() as u32,
            (size.height() * scale).ceil() as u32,
        );
        let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(PngError::TooLarge(w, h))?;
        pixmap.fill(tiny_skia::Color::WHITE);
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap.encode_png().map_err(|e| PngError::Encode(e.to_string()))
    }
}
