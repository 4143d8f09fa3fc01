//! Alignment: the least-squares similarity transform (rotation, uniform scale,
//! translation) taking the five landmarks to the standard 112×112 template, and a bilinear
//! warp through it.

use image::{Rgb, RgbImage};

/// Where the five landmarks sit in the aligned 112×112 face (the ArcFace template).
pub const TEMPLATE: [[f32; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];
pub const SIZE: u32 = 112;

/// x' = a·x − b·y + tx, y' = b·x + a·y + ty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// The least-squares similarity from `src` to `dst`.
    pub fn estimate(src: &[[f32; 2]; 5], dst: &[[f32; 2]; 5]) -> Self {
        let mean = |p: &[[f32; 2]; 5]| {
            let (sx, sy) = p.iter().fold((0.0, 0.0), |(x, y), q| (x + q[0], y + q[1]));
            (sx / 5.0, sy / 5.0)
        };
        let (msx, msy) = mean(src);
        let (mdx, mdy) = mean(dst);
        let (mut num_a, mut num_b, mut norm) = (0.0f32, 0.0f32, 0.0f32);
        for (s, d) in src.iter().zip(dst) {
            let (sx, sy, dx, dy) = (s[0] - msx, s[1] - msy, d[0] - mdx, d[1] - mdy);
            num_a += sx * dx + sy * dy;
            num_b += sx * dy - sy * dx;
            norm += sx * sx + sy * sy;
        }
        let (a, b) = if norm > f32::EPSILON { (num_a / norm, num_b / norm) } else { (1.0, 0.0) };
        Self { a, b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy) }
    }

    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        [self.a * p[0] - self.b * p[1] + self.tx, self.b * p[0] + self.a * p[1] + self.ty]
    }

    /// The inverse transform (from aligned back to photo coordinates).
    pub fn inverse(&self) -> Self {
        let d = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / d, -self.b / d);
        Self { a, b, tx: -(a * self.tx - b * self.ty), ty: -(b * self.tx + a * self.ty) }
    }
}

/// floor(v) for |v| < 2^22, without the libm call that `f32::floor` is on baseline x86-64.
fn floor(v: f32) -> i64 {
    let t = v as i64; // rounds towards zero
    t - i64::from(v < t as f32)
}

/// `v.round().clamp(0.0, 255.0) as u8`, likewise without libm (v − trunc(v) is exact).
fn round(v: f32) -> u8 {
    let v = v.clamp(0.0, 255.0);
    let t = v as u8;
    t + u8::from(v - f32::from(t) >= 0.5)
}

fn sample(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    // Far outside the photo: black (and clear of floor's range).
    if !(x > -2.0 && y > -2.0 && x < w as f32 + 1.0 && y < h as f32 + 1.0) {
        return Rgb([0; 3]);
    }
    let (x0, y0) = (floor(x), floor(y));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let px = |xx: i64, yy: i64| -> [f32; 3] {
        if xx < 0 || yy < 0 || xx >= w || yy >= h {
            [0.0; 3]
        } else {
            let p = img.get_pixel(xx as u32, yy as u32);
            [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
        }
    };
    let (p00, p10, p01, p11) = (px(x0, y0), px(x0 + 1, y0), px(x0, y0 + 1), px(x0 + 1, y0 + 1));
    let mut out = [0u8; 3];
    for c in 0..3 {
        let top = p00[c] * (1.0 - fx) + p10[c] * fx;
        let bottom = p01[c] * (1.0 - fx) + p11[c] * fx;
        out[c] = round(top * (1.0 - fy) + bottom * fy);
    }
    Rgb(out)
}

/// The aligned 112×112 face.
pub fn align(img: &RgbImage, landmarks: &[[f32; 2]; 5]) -> RgbImage {
    let back = Similarity::estimate(landmarks, &TEMPLATE).inverse();
    RgbImage::from_fn(SIZE, SIZE, |u, v| {
        let [x, y] = back.apply([u as f32, v as f32]);
        sample(img, x, y)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_round_match_std() {
        for i in -40_000..40_000 {
            let v = i as f32 * 0.013 + 0.0001 * (i % 7) as f32;
            assert_eq!(floor(v), v.floor() as i64, "{v}");
            assert_eq!(round(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
        for v in [0.5, 1.5, 254.5, 0.49999997, 2.4999998, -0.5, 255.49, 300.0, -3.0, 7.0] {
            assert_eq!(floor(v), v.floor() as i64, "{v}");
            assert_eq!(round(v), v.round().clamp(0.0, 255.0) as u8, "{v}");
        }
    }

    #[test]
    fn estimate_recovers_a_known_similarity() {
        let t = Similarity { a: 0.8, b: 0.3, tx: 12.0, ty: -7.0 };
        let src = [[100.0, 120.0], [160.0, 118.0], [131.0, 150.0], [108.0, 180.0], [155.0, 181.0]];
        let dst = src.map(|p| t.apply(p));
        let e = Similarity::estimate(&src, &dst);
        for (x, y) in [(e.a, t.a), (e.b, t.b), (e.tx, t.tx), (e.ty, t.ty)] {
            assert!((x - y).abs() < 1e-3, "{e:?}");
        }
        let back = e.inverse().apply(e.apply([5.0, 9.0]));
        assert!((back[0] - 5.0).abs() < 1e-3 && (back[1] - 9.0).abs() < 1e-3);
    }
}
