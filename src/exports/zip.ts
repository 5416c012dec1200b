// ZIP archives whose bytes are a function of their contents alone: entries in the order given, every entry dated the
// same fixed moment, compressed the same way. An auditor can then check a pack by digest, and the same inputs give
// the same file whichever process (the service, the CLI) wrote it and whenever.
import JSZip from 'jszip';

/**
 * The moment every entry is dated. ZIP stores a DOS date in local time, and JSZip reads the Date's local fields:
 * constructed from local fields, it spells 1980-01-01 00:00 (the DOS epoch) in every time zone.
 */
const FIXED_DATE = new Date(1980, 0, 1, 0, 0, 0);

export interface ZipEntry {
  name: string;
  data: Uint8Array | string;
}

export async function deterministicZip(entries: readonly ZipEntry[]): Promise<Buffer> {
  const zip = new JSZip();
  for (const e of entries) zip.file(e.name, e.data, { date: FIXED_DATE, createFolders: false });
  return zip.generateAsync({
    type: 'nodebuffer',
    compression: 'DEFLATE',
    compressionOptions: { level: 6 },
    platform: 'UNIX',
  });
}

/** The same archive re-written deterministically: its entries in their order, re-dated. */
export async function normaliseZip(archive: Uint8Array): Promise<Buffer> {
  const zip = await JSZip.loadAsync(archive);
  const entries: ZipEntry[] = [];
  for (const file of Object.values(zip.files)) {
    if (!file.dir) entries.push({ name: file.name, data: await file.async('uint8array') });
  }
  return deterministicZip(entries);
}
