"""The confusion matrix as a PNG (Pillow drawing: no plotting library to ship)."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CELL_PX = 36
MARGIN_PX = 12
FONT_PX = 12


def _shade(share: float) -> tuple[int, int, int]:
    """White (0) to dark blue (1) by the share of the row."""
    return (int(255 - 225 * share), int(255 - 180 * share), int(255 - 80 * share))


def confusion_png(confusion: dict, path: Path, *, title: str) -> Path:
    """Draw rows (true) against columns (predicted), each cell shaded by its share of the row."""
    rows, cols, matrix = confusion["rows_true"], confusion["columns_predicted"], confusion["matrix"]
    font = ImageFont.load_default(FONT_PX)
    label_px = max([int(font.getlength(s)) for s in rows + cols] + [40]) + MARGIN_PX
    heading = f"{title}  (rows: true, columns: predicted)"
    width = max(label_px + CELL_PX * len(cols), int(font.getlength(heading)) + MARGIN_PX) + MARGIN_PX
    height = 2 * MARGIN_PX + FONT_PX + label_px + CELL_PX * len(rows) + MARGIN_PX
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN_PX, MARGIN_PX), heading, fill="black", font=font)
    top = 2 * MARGIN_PX + FONT_PX + label_px
    # Column labels written vertically: a rotated text strip per column.
    for j, name in enumerate(cols):
        strip = Image.new("RGB", (label_px, CELL_PX), "white")
        ImageDraw.Draw(strip).text((2, (CELL_PX - FONT_PX) // 2), name, fill="black", font=font)
        image.paste(strip.rotate(90, expand=True), (label_px + j * CELL_PX, top - label_px))
    for i, name in enumerate(rows):
        y = top + i * CELL_PX
        draw.text((MARGIN_PX, y + (CELL_PX - FONT_PX) // 2), name, fill="black", font=font)
        total = sum(matrix[i]) or 1
        for j, count in enumerate(matrix[i]):
            x = label_px + j * CELL_PX
            share = count / total
            draw.rectangle([x, y, x + CELL_PX - 1, y + CELL_PX - 1], fill=_shade(share), outline=(200, 200, 200))
            if count:
                text = str(count)
                draw.text((x + (CELL_PX - font.getlength(text)) / 2, y + (CELL_PX - FONT_PX) / 2), text,
                          fill="white" if share > 0.5 else "black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")
    return path
