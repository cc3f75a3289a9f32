"""Text from images with Tesseract (the Debian packages ``tesseract-ocr``, ``-nld``, ``-fra``), run as a
subprocess on a pre-processed copy held in memory: grey, scaled so that text is ~300 dpi, deskewed.

Nothing is written to disk: the image goes to Tesseract on stdin and the text comes back on stdout."""
from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from o3_governance.attachments.limits import Limits

if TYPE_CHECKING:  # OpenCV is imported by the functions that read an image: a night with no image due
    import numpy as np  # asks only for Tesseract's version (the register's configuration)

LANGS = "nld+fra+eng"
TESSERACT = "tesseract"


class OcrUnavailable(RuntimeError):
    """Tesseract or one of its languages is not installed."""


def tesseract_version() -> str:
    """The installed Tesseract's version line, or ``missing`` (part of the attachment scan's configuration)."""
    exe = shutil.which(TESSERACT)
    if exe is None:
        return "missing"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "missing"
    return out.decode("utf-8", "replace").splitlines()[0].strip() if out else "missing"


def preprocess(grey: np.ndarray, limits: Limits) -> np.ndarray:
    """Grey image → scaled and deskewed. A phone photo of paper: text a few pixels high is scaled up,
    a 4000-pixel photo scaled down, and a page photographed at an angle turned straight."""
    import cv2  # start-up time: only when an image is read

    h, w = grey.shape[:2]
    side = max(h, w)
    if side > limits.ocr_max_side:
        f = limits.ocr_max_side / side
        grey = cv2.resize(grey, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    elif side < limits.ocr_min_side:
        f = min(3.0, limits.ocr_min_side / side)
        grey = cv2.resize(grey, (int(w * f), int(h * f)), interpolation=cv2.INTER_CUBIC)
    return deskew(grey)


def deskew(grey: np.ndarray) -> np.ndarray:
    """Turns the image by the angle of its dark pixels' bounding rectangle (text lines), when that is
    between 0.5 and 20 degrees; otherwise leaves it."""
    import cv2  # start-up time: only when an image is read

    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    points = cv2.findNonZero(ink)
    if points is None or len(points) < 50:
        return grey
    angle = cv2.minAreaRect(points)[-1]
    if angle > 45:
        angle -= 90
    if abs(angle) < 0.5 or abs(angle) > 20:
        return grey
    h, w = grey.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(grey, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def ocr(grey: np.ndarray, limits: Limits, timeout: float) -> str:
    """The text Tesseract reads in a grey image (pre-processed here). Raises ``OcrUnavailable`` when
    Tesseract is missing, ``TimeoutError`` past ``timeout`` seconds."""
    import cv2  # start-up time: only when an image is read

    exe = shutil.which(TESSERACT)
    if exe is None:
        raise OcrUnavailable("tesseract is not installed")
    ok, png = cv2.imencode(".png", preprocess(grey, limits))
    if not ok:
        return ""
    try:
        done = subprocess.run([exe, "stdin", "stdout", "-l", LANGS, "--psm", "3"], input=png.tobytes(),
                              capture_output=True, timeout=max(1.0, timeout))
    except subprocess.TimeoutExpired:
        raise TimeoutError("ocr time limit") from None
    if done.returncode != 0:
        # Tesseract names a missing language on stderr; nothing of the image is in it.
        if b"traineddata" in done.stderr or b"Failed loading language" in done.stderr:
            raise OcrUnavailable("a tesseract language (nld, fra or eng) is not installed")
        return ""
    return done.stdout.decode("utf-8", "replace")
