//! A perceptual fingerprint of an aligned face, to tell one picture sent twice (re-encoded,
//! rescaled) from two captures.

use image::RgbImage;

/// A 64-bit difference hash (dHash) of the aligned face's luma: the face is averaged down to
/// 9×8 cells and each bit says whether a cell is darker than its right-hand neighbour.
/// JPEG re-encoding, a small rescale or a shift of a pixel or two changes few bits (the
/// alignment undoes most of it): 1 bit in the median, 9 at most, on the shared photos. It
/// is coarse, though: two photos of one person taken on different days can be as close as
/// 6 bits, so it tells a replay only from a capture in another pose (see [`super::judge`]).
///
/// Meant for the aligned 112×112 face; an image smaller than 9×8 gives 0.
pub fn fingerprint(aligned: &RgbImage) -> u64 {
    const COLS: usize = 9;
    const ROWS: usize = 8;
    let (w, h) = (aligned.width() as usize, aligned.height() as usize);
    if w < COLS || h < ROWS {
        return 0;
    }
    // Integer luma (×1000) and exact comparisons, so a flat image hashes to 0.
    let mut sums = [[0u64; COLS]; ROWS];
    let mut counts = [[0u64; COLS]; ROWS];
    for (x, y, p) in aligned.enumerate_pixels() {
        let (col, row) = (x as usize * COLS / w, y as usize * ROWS / h);
        let luma = 299 * u64::from(p[0]) + 587 * u64::from(p[1]) + 114 * u64::from(p[2]);
        if let (Some(s), Some(c)) =
            (sums.get_mut(row).and_then(|r| r.get_mut(col)), counts.get_mut(row).and_then(|r| r.get_mut(col)))
        {
            *s += luma;
            *c += 1;
        }
    }
    let mut hash = 0u64;
    for (s, c) in sums.iter().zip(&counts) {
        for col in 0..COLS - 1 {
            // mean[col] < mean[col + 1], cross-multiplied.
            let darker = match (s.get(col), c.get(col), s.get(col + 1), c.get(col + 1)) {
                (Some(s0), Some(c0), Some(s1), Some(c1)) => s0 * c1 < s1 * c0,
                _ => false,
            };
            hash = (hash << 1) | u64::from(darker);
        }
    }
    hash
}

/// The number of bits in which two fingerprints differ (0 to 64).
pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(f: impl Fn(u32, u32) -> u8) -> RgbImage {
        RgbImage::from_fn(112, 112, |x, y| {
            let v = f(x, y);
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn flat_and_tiny_images_hash_to_zero() {
        assert_eq!(fingerprint(&gradient(|_, _| 128)), 0);
        assert_eq!(fingerprint(&RgbImage::new(0, 0)), 0);
        assert_eq!(fingerprint(&RgbImage::new(8, 100)), 0);
    }

    #[test]
    fn brightening_from_left_to_right_sets_every_bit() {
        assert_eq!(fingerprint(&gradient(|x, _| (x * 2) as u8)), u64::MAX);
        assert_eq!(fingerprint(&gradient(|x, _| 255 - (x * 2) as u8)), 0);
    }

    #[test]
    fn small_changes_keep_the_fingerprint_close() {
        let pattern = |x: u32, y: u32| ((x * 7 + y * 3) % 97 + (x / 16 + y / 14) * 17 % 150) as u8;
        let a = gradient(pattern);
        let noisy = gradient(|x, y| pattern(x, y).saturating_add(((x * 31 + y * 17) % 5) as u8));
        let shifted = gradient(|x, y| pattern(x.saturating_sub(1), y));
        assert!(hamming(fingerprint(&a), fingerprint(&noisy)) <= 4);
        assert!(hamming(fingerprint(&a), fingerprint(&shifted)) <= 6);
        let other = gradient(|x, y| ((x * 13 + y * 29) % 200) as u8);
        assert!(hamming(fingerprint(&a), fingerprint(&other)) > 10);
        assert_eq!(hamming(0, u64::MAX), 64);
    }
}
