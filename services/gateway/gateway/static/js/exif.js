// Where and when a JPEG was taken, from its EXIF, read in the browser only for the field
// check (the photo's own GPS on the user's own device; the server keeps none of it).
// Reads the APP1 Exif segment: IFD0 -> Exif IFD (DateTimeOriginal) and GPS IFD.

const HEAD_BYTES = 256 * 1024;  // EXIF sits at the start of the file

function readIfd(view, tiff, offset, little) {
  const entries = new Map();
  if (offset + 2 > view.byteLength) return entries;
  const count = view.getUint16(offset, little);
  for (let i = 0; i < count; i += 1) {
    const at = offset + 2 + i * 12;
    if (at + 12 > view.byteLength) break;
    entries.set(view.getUint16(at, little), { type: view.getUint16(at + 2, little), count: view.getUint32(at + 4, little),
      valueAt: at + 8 });
  }
  return entries;
}

function offsetOf(view, tiff, entry, little, size) {
  return entry.count * size <= 4 ? entry.valueAt : tiff + view.getUint32(entry.valueAt, little);
}

function ascii(view, tiff, entry, little) {
  const start = offsetOf(view, tiff, entry, little, 1);
  let text = "";
  for (let i = 0; i < entry.count && start + i < view.byteLength; i += 1) {
    const code = view.getUint8(start + i);
    if (!code) break;
    text += String.fromCharCode(code);
  }
  return text;
}

function degrees(view, tiff, entry, little) {
  if (!entry || entry.type !== 5 || entry.count !== 3) return null;
  const start = offsetOf(view, tiff, entry, little, 8);
  if (start + 24 > view.byteLength) return null;
  const part = (i) => view.getUint32(start + i * 8, little) / (view.getUint32(start + i * 8 + 4, little) || NaN);
  const value = part(0) + part(1) / 60 + part(2) / 3600;
  return Number.isFinite(value) ? value : null;
}

/** {latitude, longitude, taken_at} from a JPEG's EXIF; null fields where it has none. */
export async function readExif(file) {
  const none = { latitude: null, longitude: null, taken_at: null };
  const view = new DataView(await file.slice(0, HEAD_BYTES).arrayBuffer());
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return none;  // not a JPEG
  let at = 2;
  while (at + 4 <= view.byteLength && view.getUint8(at) === 0xff) {
    const marker = view.getUint8(at + 1);
    const length = view.getUint16(at + 2);
    if (marker === 0xe1 && at + 10 <= view.byteLength && view.getUint32(at + 4) === 0x45786966) {  // "Exif"
      return parseTiff(view, at + 10) || none;
    }
    if (marker === 0xda) break;  // image data: no EXIF before it
    at += 2 + length;
  }
  return none;
}

function parseTiff(view, tiff) {
  try {
    const little = view.getUint16(tiff) === 0x4949;
    const ifd0 = readIfd(view, tiff, tiff + view.getUint32(tiff + 4, little), little);
    const out = { latitude: null, longitude: null, taken_at: null };
    const exifPointer = ifd0.get(0x8769);
    if (exifPointer) {
      const exif = readIfd(view, tiff, tiff + view.getUint32(exifPointer.valueAt, little), little);
      const original = exif.get(0x9003) || ifd0.get(0x0132);
      const match = original && ascii(view, tiff, original, little).match(/^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)/);
      // Camera wall time without offset: the server reads it in the trap's time zone.
      if (match) out.taken_at = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
    }
    const gpsPointer = ifd0.get(0x8825);
    if (gpsPointer) {
      const gps = readIfd(view, tiff, tiff + view.getUint32(gpsPointer.valueAt, little), little);
      const lat = degrees(view, tiff, gps.get(2), little);
      const lon = degrees(view, tiff, gps.get(4), little);
      if (lat !== null && lon !== null && (lat || lon)) {
        out.latitude = gps.get(1) && ascii(view, tiff, gps.get(1), little) === "S" ? -lat : lat;
        out.longitude = gps.get(3) && ascii(view, tiff, gps.get(3), little) === "W" ? -lon : lon;
      }
    }
    return out;
  } catch {
    return null;  // a broken EXIF block: no check, the server still reads what it can
  }
}
