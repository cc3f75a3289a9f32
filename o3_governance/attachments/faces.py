"""Faces in photos: detection only (how many, where), with the Haar cascade that ships inside the
OpenCV wheel (``cv2.data.haarcascades``; the 4.x wheels ship it, hence ``opencv-python-headless<5``).
No embeddings, no recognition, no identification: that would itself be biometric processing."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

CASCADE = "haarcascade_frontalface_default.xml"
# A second cascade, trained differently, confirms each face: a cat's face or a pattern that fools one
# of them rarely fools both.
CONFIRM_CASCADE = "haarcascade_frontalface_alt2.xml"
DETECT_MAX_SIDE = 1024   # faces in a phone photo are found as well at this size, much faster
MIN_FACE_SHARE = 0.04    # a face smaller than this share of the image's short side is noise


@lru_cache(maxsize=2)
def _detector(name: str = CASCADE) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name
    detector = cv2.CascadeClassifier(str(path))
    if detector.empty():
        raise RuntimeError("the face detector model is missing from the OpenCV package")
    return detector


def detect_faces(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) in the image's own pixels of the faces found; [] for none."""
    h, w = grey.shape[:2]
    f = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA) if f < 1 else grey
    small = cv2.equalizeHist(small)
    side = max(24, int(min(small.shape[:2]) * MIN_FACE_SHARE))
    found = _detector().detectMultiScale(small, scaleFactor=1.1, minNeighbors=6, minSize=(side, side))
    if len(found) == 0:
        return []
    confirm = _detector(CONFIRM_CASCADE).detectMultiScale(small, scaleFactor=1.1, minNeighbors=3, minSize=(side, side))
    kept = [box for box in found if any(_overlap(box, other) >= 0.4 for other in confirm)]
    return sorted((int(x / f), int(y / f), int(bw / f), int(bh / f)) for x, y, bw, bh in kept)


def _overlap(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / float(aw * ah + bw * bh - inter) if inter else 0.0
