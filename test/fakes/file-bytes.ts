/**
 * Small files with the real leading bytes of each format, padded to any size, so the
 * core's sniffing sees what a real upload would start with.
 */

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff, 0xe0];
const PDF = [...new TextEncoder().encode("%PDF-1.7\n")];

function padded(head: number[], size: number): Uint8Array {
  const bytes = new Uint8Array(Math.max(size, head.length));
  bytes.set(head);
  // A pattern rather than zeros, so an encoding bug that drops bytes shows.
  for (let i = head.length; i < bytes.length; i++) bytes[i] = i % 251;
  return bytes;
}

export const pngBytes = (size = 64) => padded(PNG, size);
export const jpegBytes = (size = 64) => padded(JPEG, size);
export const pdfBytes = (size = 64) => padded(PDF, size);
export const textBytes = (text: string) => new TextEncoder().encode(text);

/** Standard base64 of `bytes`, to compare with the data URLs Quarry sends. */
export function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export const MB = 1024 * 1024;
