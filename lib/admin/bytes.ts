import { AppError } from "../errors.ts";

// Sizes as people write them: 500M, 10G, 1.5 GiB, 1048576.

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

export function parseByteSize(input: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new AppError("INVALID", `not a size: ${input} (try 500M or 10G)`);
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n) || n <= 0) throw new AppError("INVALID", `not a size: ${input}`);
  return n;
}

export function formatBytes(n: number | bigint): string {
  const v = Number(n);
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  if (v >= 1024 ** 4) return `${fmt(v / 1024 ** 4)} TiB`;
  if (v >= 1024 ** 3) return `${fmt(v / 1024 ** 3)} GiB`;
  if (v >= 1024 ** 2) return `${fmt(v / 1024 ** 2)} MiB`;
  if (v >= 1024) return `${fmt(v / 1024)} KiB`;
  return `${v} B`;
}
