"""preprocess: decode, orient, read EXIF, resize, classify through Triton."""
