//! Head pose (yaw and pitch, in degrees) from YuNet's five landmarks, for the liveness
//! challenge.
//!
//! The face is modelled as a rigid template: the two eyes and the two mouth corners lie in
//! one plane, where YuNet puts them on average on a frontal face ([`MEAN_FACE`]), and the
//! nose tip stands [`NOSE_DEPTH`] inter-eye distances in front of that plane. The four
//! plane points fix a homography from the template's plane to the image. Where that plane
//! would put the nose's foot, and the homography's local linear part there, say how the
//! plane is seen; how far the nose tip stands off that point (its parallax) says which way
//! the plane faces, as in a weak-perspective camera `x = M·P + t` whose 2×3 `M` is the
//! local linear part with the parallax as third column. The direction the camera looks
//! along, in the face's own frame, is the kernel of `M`, `m₁ × m₂`; yaw and pitch are its
//! azimuth and elevation. So:
//!
//! - they do not change when the photo is rotated in its plane (roll), scaled or moved, nor
//!   under any other orientation-preserving homography of the image. A flat photo held in
//!   front of the camera, tilted, however close, keeps the pose it was taken with: only the
//!   nose's 3D offset from the eyes–mouth plane shows a turn;
//! - the mean face gives exactly 0; the shared photos and their mirror images, taken
//!   roughly facing the camera, give yaw −22° to +22° and pitch −12° to +12°. YuNet's
//!   landmarks on a photo and on its mirror image disagree by about 3.5° in each angle (one
//!   standard deviation), which bounds what one frame can show;
//! - on synthetic faces a few hundredths of an inter-eye distance off the template, seen
//!   from 6 inter-eye distances (a phone at arm's length), yaw is within 5° and pitch
//!   within 8° for |yaw| ≤ 40°, |pitch| ≤ 30° (see the tests).
//!
//! The nose depth sets the scale of the angles: a person whose nose stands further out than
//! the template's gives larger angles. Pitch also depends on how low the nose tip sits
//! between eyes and mouth, which varies from person to person by several degrees, so the
//! liveness rules compare pitch with the same person's other frames rather than with 0.

/// YuNet's five landmarks on a frontal face, in inter-eye distances, eyes at (∓0.5, 0), y
/// down: the mean over the 50 shared photos and their mirror images (so symmetric), which
/// face the camera give or take 20°. The mouth corners sit higher than in the alignment
/// template (0.99 against 1.15 below the eyes): YuNet places them differently.
pub const MEAN_FACE: [[f64; 2]; 5] = [[-0.5, 0.0], [0.5, 0.0], [0.0, 0.588], [-0.447, 0.992], [0.447, 0.992]];

/// Nose tip in front of the eyes–mouth plane, in inter-eye distances: about 30 mm for an
/// inter-pupil distance of 63 mm. It sets the scale of the angles: the photos cannot
/// measure it, as none is turned far enough for the eyes' foreshortening to tell.
pub const NOSE_DEPTH: f64 = 0.5;

/// Where the camera is, seen from the face, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadPose {
    /// Positive when the subject turns to their own left: in an unmirrored photo (or a
    /// phone's front camera before any preview mirroring) the nose then moves towards the
    /// image's right. A horizontally mirrored image gives the opposite sign.
    pub yaw: f32,
    /// Positive when the subject looks up (the nose moves up in the image, towards the eyes).
    pub pitch: f32,
}

type Vec3 = [f64; 3];

/// The eyes and mouth corners: the landmarks in the template's plane.
const PLANE: [usize; 4] = [0, 1, 3, 4];
const NOSE: usize = 2;

fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn norm(a: Vec3) -> f64 {
    (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt()
}

/// Solves `a·x = b` by Gaussian elimination with partial pivoting; `None` when singular.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if !a[pivot][col].is_finite() || a[pivot][col].abs() <= 1e-9 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, top_b) = (a[col], b[col]);
        for row in col + 1..8 {
            let f = a[row][col] / top[col];
            a[row].iter_mut().zip(top).skip(col).for_each(|(v, t)| *v -= f * t);
            b[row] -= f * top_b;
        }
    }
    let mut x = [0.0; 8];
    for row in (0..8).rev() {
        let tail: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The two rows of `M`: the plane homography's Jacobian at the nose's foot, and the nose's
/// parallax over its depth as the third column. Landmarks are first moved and scaled to
/// about unit size, so the system is as well conditioned for any pixel frame.
fn fit(landmarks: &[[f32; 2]; 5]) -> Option<[Vec3; 2]> {
    let points = landmarks.map(|p| [f64::from(p[0]), f64::from(p[1])]);
    let centre = points.iter().fold([0.0; 2], |c, p| [c[0] + p[0] / 5.0, c[1] + p[1] / 5.0]);
    let spread = points.iter().map(|p| (p[0] - centre[0]).hypot(p[1] - centre[1])).sum::<f64>() / 5.0;
    if !(spread.is_normal() && spread.is_finite()) {
        return None;
    }
    let points = points.map(|p| [(p[0] - centre[0]) / spread, (p[1] - centre[1]) / spread]);
    // x·(h6·X + h7·Y + 1) = h0·X + h1·Y + h2, and likewise y with h3, h4, h5.
    let (mut a, mut b) = ([[0.0; 8]; 8], [0.0; 8]);
    for (k, &i) in PLANE.iter().enumerate() {
        let ([mx, my], [x, y]) = (MEAN_FACE[i], points[i]);
        a[2 * k] = [mx, my, 1.0, 0.0, 0.0, 0.0, -x * mx, -x * my];
        b[2 * k] = x;
        a[2 * k + 1] = [0.0, 0.0, 0.0, mx, my, 1.0, -y * mx, -y * my];
        b[2 * k + 1] = y;
    }
    let h = solve8(a, b)?;
    let [mx, my] = MEAN_FACE[NOSE];
    let w = h[6] * mx + h[7] * my + 1.0;
    if !w.is_finite() || w <= 1e-6 {
        return None;
    }
    let foot = [(h[0] * mx + h[1] * my + h[2]) / w, (h[3] * mx + h[4] * my + h[5]) / w];
    let [nx, ny] = points[NOSE];
    // The nose tip is at depth −NOSE_DEPTH (towards the camera): tip = foot − NOSE_DEPTH·m₃.
    Some([
        [(h[0] - foot[0] * h[6]) / w, (h[1] - foot[0] * h[7]) / w, (foot[0] - nx) / NOSE_DEPTH],
        [(h[3] - foot[1] * h[6]) / w, (h[4] - foot[1] * h[7]) / w, (foot[1] - ny) / NOSE_DEPTH],
    ])
}

/// Yaw and pitch of the face whose landmarks are given (right eye, left eye, nose tip,
/// right and left mouth corners, seen from the subject; any pixel frame).
///
/// `None` when the landmarks are not finite, do not span a face (all equal, three of the
/// eyes and mouth corners in a line), or could only be a face seen from behind (left and
/// right swapped, as in a mirrored image whose landmarks were not relabelled).
pub fn estimate(landmarks: &[[f32; 2]; 5]) -> Option<HeadPose> {
    if !landmarks.iter().flatten().all(|v| v.is_finite()) {
        return None;
    }
    let [m1, m2] = fit(landmarks)?;
    let axis = cross(m1, m2);
    let len = norm(axis);
    // Rows far from independent: the plane is seen edge-on or the points are degenerate.
    if !(len.is_finite() && len > 1e-3 * norm(m1) * norm(m2)) {
        return None;
    }
    let [x, y, z] = axis.map(|v| v / len);
    if z <= 0.0 {
        return None;
    }
    Some(HeadPose { yaw: x.atan2(z).to_degrees() as f32, pitch: (-y).clamp(-1.0, 1.0).asin().to_degrees() as f32 })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 3D face in inter-eye units (y down, z away from the camera), rotated so the subject
    /// shows `pose`, rolled by `roll` degrees, then projected: orthographically when
    /// `distance` is infinite, else by a pinhole `distance` inter-eye units away; then
    /// scaled by `scale` and moved by `shift`.
    pub(crate) fn landmarks(
        face: &[Vec3; 5],
        pose: HeadPose,
        roll: f64,
        distance: f64,
        scale: f64,
        shift: [f64; 2],
    ) -> [[f32; 2]; 5] {
        let (a, b, g) = (-f64::from(pose.yaw).to_radians(), -f64::from(pose.pitch).to_radians(), roll.to_radians());
        let centre = [0.0, 0.5, 0.0];
        face.map(|p| {
            let p = [p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]];
            // Yaw about the head's vertical axis, then pitch, then roll: R = Rz·Rx·Ry.
            let p = [a.cos() * p[0] + a.sin() * p[2], p[1], -a.sin() * p[0] + a.cos() * p[2]];
            let p = [p[0], b.cos() * p[1] - b.sin() * p[2], b.sin() * p[1] + b.cos() * p[2]];
            let p = [g.cos() * p[0] - g.sin() * p[1], g.sin() * p[0] + g.cos() * p[1], p[2]];
            let k = if distance.is_finite() { distance / (distance + p[2]) } else { 1.0 };
            [(p[0] * k * scale + shift[0]) as f32, (p[1] * k * scale + shift[1]) as f32]
        })
    }

    /// The template in inter-eye units, eyes' midpoint at the origin.
    pub(crate) fn template() -> [Vec3; 5] {
        let mut points = MEAN_FACE.map(|p| [p[0], p[1], 0.0]);
        points[NOSE][2] = -NOSE_DEPTH;
        points
    }

    /// Another face: nose deeper and lower, mouth wider and set back, slightly asymmetric
    /// (each by a few hundredths of the inter-eye distance).
    pub(crate) fn another_face() -> [Vec3; 5] {
        let mut f = template();
        f[0] = [f[0][0] - 0.01, f[0][1] + 0.01, 0.01];
        f[2] = [f[2][0] + 0.01, f[2][1] + 0.02, -0.53];
        f[3] = [f[3][0] - 0.02, f[3][1] + 0.02, 0.04];
        f[4] = [f[4][0] + 0.03, f[4][1] + 0.01, 0.04];
        f
    }

    fn grid() -> impl Iterator<Item = HeadPose> {
        (-8..=8).flat_map(|y| (-6..=6).map(move |p| HeadPose { yaw: y as f32 * 5.0, pitch: p as f32 * 5.0 }))
    }

    /// The largest yaw and pitch errors over the grid |yaw| ≤ 40°, |pitch| ≤ 30°.
    fn worst(face: &[Vec3; 5], distance: f64) -> (f32, f32) {
        grid().fold((0.0f32, 0.0f32), |(wy, wp), truth| {
            let got = estimate(&landmarks(face, truth, 17.0, distance, 80.0, [300.0, 200.0])).unwrap();
            (wy.max((got.yaw - truth.yaw).abs()), wp.max((got.pitch - truth.pitch).abs()))
        })
    }

    #[test]
    fn the_mean_face_faces_the_camera() {
        let pose = estimate(&MEAN_FACE.map(|p| [p[0] as f32 * 70.0 + 300.0, p[1] as f32 * 70.0 + 200.0])).unwrap();
        assert!(pose.yaw.abs() < 1e-3 && pose.pitch.abs() < 1e-3, "{pose:?}");
        // The alignment template's mouth is lower for its nose: it looks up.
        let pose = estimate(&crate::align::TEMPLATE).unwrap();
        assert!(pose.yaw.abs() < 0.5 && (10.0..20.0).contains(&pose.pitch), "{pose:?}");
    }

    #[test]
    fn the_template_seen_orthographically_is_recovered_exactly() {
        let (yaw, pitch) = worst(&template(), f64::INFINITY);
        assert!(yaw < 0.05 && pitch < 0.05, "{yaw} {pitch}");
    }

    #[test]
    fn another_face_in_perspective_is_recovered_within_a_few_degrees() {
        // Weak perspective ignores that the nose is nearer the camera than the eyes: the
        // error grows as the camera comes closer. A phone at arm's length is about 6
        // inter-eye distances from the face.
        for (distance, tolerance) in [(f64::INFINITY, 5.0), (10.0, 7.0), (6.0, 8.0)] {
            let (yaw, pitch) = worst(&another_face(), distance);
            println!("distance {distance}: worst yaw error {yaw:.2}°, pitch {pitch:.2}°");
            assert!(yaw < tolerance && pitch < tolerance, "distance {distance}: {yaw} {pitch}");
        }
        let (yaw, pitch) = worst(&template(), 6.0);
        println!("the template at distance 6: worst yaw error {yaw:.2}°, pitch {pitch:.2}°");
        assert!(yaw < 3.0 && pitch < 3.0, "{yaw} {pitch}");
    }

    #[test]
    fn signs_follow_the_subject() {
        let at = |yaw, pitch| landmarks(&template(), HeadPose { yaw, pitch }, 0.0, 8.0, 100.0, [0.0, 0.0]);
        let eyes_mid = |l: &[[f32; 2]; 5]| (l[0][0] + l[1][0]) / 2.0;
        // Turning to their own left moves the nose to the image's right.
        let left = at(25.0, 0.0);
        assert!(left[2][0] > eyes_mid(&left) + 10.0);
        assert!(estimate(&left).unwrap().yaw > 20.0);
        assert!(estimate(&at(-25.0, 0.0)).unwrap().yaw < -20.0);
        // Looking up moves the nose up, towards the eyes.
        let frontal = at(0.0, 0.0);
        let up = at(0.0, 20.0);
        assert!(up[2][1] - up[0][1] < frontal[2][1] - frontal[0][1] - 5.0);
        assert!(estimate(&up).unwrap().pitch > 15.0);
        assert!(estimate(&at(0.0, -20.0)).unwrap().pitch < -15.0);
        // A mirrored image with relabelled landmarks turns the other way.
        let mirrored = [left[1], left[0], left[2], left[4], left[3]].map(|p| [-p[0], p[1]]);
        let (a, b) = (estimate(&left).unwrap(), estimate(&mirrored).unwrap());
        assert!((a.yaw + b.yaw).abs() < 1e-3 && (a.pitch - b.pitch).abs() < 1e-3, "{a:?} {b:?}");
    }

    #[test]
    fn roll_scale_and_translation_do_not_change_the_pose() {
        let face = another_face();
        for truth in [HeadPose { yaw: 30.0, pitch: -12.0 }, HeadPose { yaw: -8.0, pitch: 22.0 }] {
            let reference = estimate(&landmarks(&face, truth, 0.0, f64::INFINITY, 1.0, [0.0, 0.0])).unwrap();
            for (roll, scale, shift) in
                [(35.0, 40.0, [10.0, 5.0]), (-90.0, 500.0, [-3000.0, 800.0]), (170.0, 0.2, [0.1, 0.1])]
            {
                let got = estimate(&landmarks(&face, truth, roll, f64::INFINITY, scale, shift)).unwrap();
                assert!((got.yaw - reference.yaw).abs() < 0.01, "{got:?} {reference:?}");
                assert!((got.pitch - reference.pitch).abs() < 0.01, "{got:?} {reference:?}");
            }
        }
    }

    #[test]
    fn a_flat_photo_tilted_in_front_of_the_camera_shows_no_turn() {
        // A printed face on a card, turned 40° about its vertical axis and 25° about its
        // horizontal one, far away and close up: a homography of the printed landmarks. It
        // keeps the printed pose exactly for a frontal face, and nearly for a turned one (the
        // homography moves the nose's parallax a little along with the plane).
        for printed in [HeadPose { yaw: 0.0, pitch: 0.0 }, HeadPose { yaw: -12.0, pitch: 7.0 }] {
            let mut card = template();
            let flat = landmarks(&card, printed, 0.0, f64::INFINITY, 1.0, [0.0, 0.0]);
            card.iter_mut().zip(flat).for_each(|(p, f)| *p = [f64::from(f[0]), f64::from(f[1]), 0.0]);
            for distance in [f64::INFINITY, 6.0, 2.5] {
                let tilted = landmarks(&card, HeadPose { yaw: 40.0, pitch: 25.0 }, 10.0, distance, 90.0, [5.0, 0.0]);
                let pose = estimate(&tilted).unwrap();
                let expected = estimate(&flat).unwrap();
                println!("{printed:?} on a card at distance {distance}: {pose:?}");
                assert!((pose.yaw - expected.yaw).abs() < 0.5, "{distance}: {pose:?} {expected:?}");
                assert!((pose.pitch - expected.pitch).abs() < 0.5, "{distance}: {pose:?} {expected:?}");
            }
        }
    }

    #[test]
    fn degenerate_landmarks_give_no_pose() {
        let frontal = crate::align::TEMPLATE;
        assert_eq!(estimate(&[[5.0, 5.0]; 5]), None);
        assert_eq!(estimate(&[[0.0, 0.0]; 5]), None);
        let line = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]];
        assert_eq!(estimate(&line), None);
        let mut three_in_line = frontal;
        three_in_line[3] = [55.0, 51.6];
        assert!(estimate(&three_in_line).is_none_or(|p| p.yaw.is_finite() && p.pitch.is_finite()));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut l = frontal;
            l[2][1] = bad;
            assert_eq!(estimate(&l), None);
        }
        let huge = frontal.map(|p| [p[0] * 1e30, p[1] * 1e30]);
        assert!(estimate(&huge).is_none_or(|p| p.yaw.abs() < 1.0));
        // Left and right swapped without mirroring: only a face seen from behind fits.
        let swapped = [frontal[1], frontal[0], frontal[2], frontal[4], frontal[3]];
        assert_eq!(estimate(&swapped), None);
    }
}
