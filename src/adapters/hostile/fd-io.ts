/**
 * The descriptor-level steps the link-safe doors share: reading a regular file (whole, or a
 * stretch of it) from an open descriptor, and the atomic write (a new temporary file, then a rename over the target).
 */
import { closeSync, constants, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";

/** Up to `size` bytes from the start of an open file (fewer if it shrank meanwhile). */
export function readWhole(fd: number, size: number): Buffer {
  return readAt(fd, 0, size);
}

/** Up to `size` bytes of an open file from byte `from` (fewer where the file ends). */
export function readAt(fd: number, from: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, from + off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * Writes `content` to a new file `tmp` (O_EXCL|O_NOFOLLOW: never an existing file or a link),
 * then renames it over `target` (rename replaces a link rather than following it). `check`
 * runs on the open descriptor before writing; when it or the write throws, `tmp` is removed.
 */
export function writeThenRename(
  tmp: string,
  target: string,
  content: string | Buffer,
  mode: number,
  check?: (fd: number) => void,
): void {
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    check?.(fd);
    const data = typeof content === "string" ? Buffer.from(content) : content;
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, target);
}
