#!/usr/bin/env python3
"""The same photos through OpenCV's own face pipeline, for comparison with Sanda's.

    python3 bench/opencv_face.py MODELS_DIR IMAGES_DIR [ROUNDS]

Needs `opencv-python-headless`, `onnx` and `numpy` (pip). OpenCV cannot run the
blocked-quantization `*_int8bq` files as shipped, so they are rewritten to plain fp32 first
(every constant DequantizeLinear folded, unused graph inputs dropped: the same rewrite the
Rust loader does). Then cv2.FaceDetectorYN + cv2.FaceRecognizerSF run on every photo of
labels.csv: per stage median and p99 (decode, detect, align+embed) over ROUNDS passes after
one untimed warm-up pass, and the decision at the threshold on every pair, printed as
`pair A B decision` lines for diffing with Sanda's bench.
"""
import os
import sys
import tempfile
import time

import cv2
import numpy as np
import onnx
from onnx import numpy_helper

THRESHOLD = 0.42


def fold(src, dst):
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    keep, folded = [], []
    for node in g.node:
        if node.op_type == "DequantizeLinear" and all(i in inits for i in node.input if i):
            x = numpy_helper.to_array(inits[node.input[0]]).astype(np.float32)
            scale = numpy_helper.to_array(inits[node.input[1]]).astype(np.float32)
            zp = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32) if len(node.input) > 2 and node.input[2] else np.zeros_like(scale)
            attrs = {a.name: a.i for a in node.attribute}
            axis, block = attrs.get("axis", 1), attrs.get("block_size", 0)
            if scale.size > 1:
                axis = axis % x.ndim
                if block:
                    scale = np.repeat(scale, block, axis=axis).take(range(x.shape[axis]), axis=axis)
                    zp = np.repeat(zp, block, axis=axis).take(range(x.shape[axis]), axis=axis)
                else:
                    shape = [1] * x.ndim
                    shape[axis] = -1
                    scale, zp = scale.reshape(shape), zp.reshape(shape)
            folded.append(numpy_helper.from_array(((x - zp) * scale).astype(np.float32), node.output[0]))
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    g.initializer.extend(folded)
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    live = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(live)
    inputs = [i for i in g.input if i.name in used]
    del g.input[:]
    g.input.extend(inputs)
    onnx.save(model, dst)


def ms(v):
    return v * 1000.0


def main():
    models, images = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    tmp = tempfile.mkdtemp()
    det_path, rec_path = os.path.join(tmp, "yunet.onnx"), os.path.join(tmp, "sface.onnx")
    fold(os.path.join(models, "face_detection_yunet_2023mar_int8bq.onnx"), det_path)
    fold(os.path.join(models, "face_recognition_sface_2021dec_int8bq.onnx"), rec_path)
    cv2.setNumThreads(1)
    detector = cv2.FaceDetectorYN.create(det_path, "", (640, 640), 0.8, 0.3, 5000)
    recognizer = cv2.FaceRecognizerSF.create(rec_path, "")
    rows = [l.strip().split(",") for l in open(os.path.join(images, "labels.csv")).read().splitlines()[1:] if l.strip()]
    stages = {"decode": [], "detect": [], "embed": []}
    feats = {}
    # One untimed warm-up pass (r = -1), as in Sanda's bench.
    for r in range(-1, rounds):
        for file, ident, *_ in rows:
            data = np.fromfile(os.path.join(images, file), dtype=np.uint8)
            t = time.perf_counter()
            img = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if r >= 0:
                stages["decode"].append(time.perf_counter() - t)
            t = time.perf_counter()
            h, w = img.shape[:2]
            s = 640.0 / max(w, h)
            small = cv2.resize(img, (round(w * s), round(h * s)))
            detector.setInputSize((small.shape[1], small.shape[0]))
            _, faces = detector.detect(small)
            if r >= 0:
                stages["detect"].append(time.perf_counter() - t)
            if faces is None:
                print(f"{file}: no face", file=sys.stderr)
                continue
            face = max(faces, key=lambda f: f[2] * f[3]).copy()
            face[:14] /= s
            t = time.perf_counter()
            aligned = recognizer.alignCrop(img, face)
            feat = recognizer.feature(aligned)
            if r >= 0:
                stages["embed"].append(time.perf_counter() - t)
            if r == 0:
                feats[file] = (ident, feat / np.linalg.norm(feat))
    for name, v in stages.items():
        v = sorted(v)
        print(f"{name:>7}: median {ms(v[len(v) // 2]):7.2f} ms   p99 {ms(v[round((len(v) - 1) * 0.99)]):7.2f} ms")
    names = sorted(feats)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            score = float(np.dot(feats[a][1].ravel(), feats[b][1].ravel()))
            print(f"pair {a} {b} {'match' if score >= THRESHOLD else 'no_match'} {score:.4f}")


if __name__ == "__main__":
    main()
