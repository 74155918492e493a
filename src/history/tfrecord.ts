/**
 * TFRecord framing, as TensorFlow's `RecordWriter` writes it and TensorBoard's event files use it:
 *
 * ```
 * uint64 length (little-endian) | uint32 masked_crc32c(length bytes) | data[length] | uint32 masked_crc32c(data)
 * ```
 *
 * with `masked(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8` (mod 2^32). This module knows
 * nothing of events: it splits bytes into checked records. Any damage is an InputError naming the
 * record (1-based) and its byte offset.
 *
 * @example
 * ```ts ignore
 * for (const record of readTfRecords(bytes, "events.out.tfevents.1")) decode(record.data);
 * ```
 *
 * @module
 */
import { crc32c } from "./crc32c.ts";
import { InputError } from "../errors.ts";

/** One record: its payload and where it starts in the file. */
export interface TfRecord {
  /** 1-based record number. */
  index: number;
  /** Byte offset of the record's length field. */
  offset: number;
  data: Uint8Array;
}

const MASK_DELTA = 0xa282ead8;
const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

/** TensorFlow's masked CRC-32C of `bytes` (lib/hash/crc32c.h `Mask`). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** True when `bytes` begins with a well-formed TFRecord header (length and its CRC agree). */
export function looksLikeTfRecord(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_BYTES) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.getUint32(8, true) === maskedCrc32c(bytes.subarray(0, 8));
}

/** Splits `bytes` into records, checking both CRCs of each; `file` names the file in errors. */
export function readTfRecords(bytes: Uint8Array, file: string): TfRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: TfRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = records.length + 1;
    const where = `record ${index} (byte ${offset})`;
    const left = bytes.length - offset;
    if (left < HEADER_BYTES) {
      throw new InputError(
        `${where}: truncated: ${left} bytes left where a 12-byte record header belongs (the file was cut short, or is still being written)`,
        { file },
      );
    }
    const stored = view.getUint32(offset + 8, true);
    const computed = maskedCrc32c(bytes.subarray(offset, offset + 8));
    if (stored !== computed) {
      throw new InputError(
        `${where}: length CRC mismatch (stored 0x${hex(stored)}, computed 0x${
          hex(computed)
        }): the file is corrupt${index === 1 ? " or not a TFRecord/TensorBoard event file" : ""}`,
        { file },
      );
    }
    const length = Number(view.getBigUint64(offset, true));
    const start = offset + HEADER_BYTES;
    if (length + FOOTER_BYTES > bytes.length - start) {
      throw new InputError(
        `${where}: truncated: the record declares ${length} bytes of data but only ${
          Math.max(0, bytes.length - start - FOOTER_BYTES)
        } follow (the file was cut short, or is still being written)`,
        { file },
      );
    }
    const data = bytes.subarray(start, start + length);
    const dataCrc = view.getUint32(start + length, true);
    const dataComputed = maskedCrc32c(data);
    if (dataCrc !== dataComputed) {
      throw new InputError(
        `${where}: data CRC mismatch (stored 0x${hex(dataCrc)}, computed 0x${
          hex(dataComputed)
        }): the record's ${length} bytes are corrupt`,
        { file },
      );
    }
    records.push({ index, offset, data });
    offset = start + length + FOOTER_BYTES;
  }
  return records;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}
